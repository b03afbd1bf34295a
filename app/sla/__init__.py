"""SLA policies, business calendars, the SLA clock and compliance reports."""
