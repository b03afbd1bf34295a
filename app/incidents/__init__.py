"""Incident management: report, triage, work and resolve what is broken."""
