"""Reporting: measures, dashboards, exports."""
