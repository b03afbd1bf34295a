"""The configuration database and its dependency graph."""
