"""Administration of people, groups and roles."""
