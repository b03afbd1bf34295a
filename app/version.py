"""The release version, shown by /healthz and in the page footer."""

__version__ = "0.1.0"
