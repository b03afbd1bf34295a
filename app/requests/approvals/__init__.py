"""Approvals: the approval policy rules, routing each level to people, decisions and
delegation during an absence, reminders, and the approvers' pages."""
