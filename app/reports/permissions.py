"""Authorization rules of the report pages (see ``app.policy``): who may open which dashboard.

A dashboard shows its viewer's own part of the desk (see ``app.reports.pages.reach``): an
agent their own work, a group manager the groups they manage, a service owner the business
services they own; administrators every group and service, and the desk-wide overview.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.auth.models import Group, Role
from app.extensions import db
from app.policy import rule

REPORT_ROLES = (Role.AGENT, Role.SERVICE_OWNER, Role.ADMIN)


def manages_groups(user: Any) -> bool:
    """Is ``user`` the manager of at least one group?"""
    found = select(Group.id).where(Group.manager_id == user.id).limit(1)
    return db.session.scalar(found) is not None


@rule("reports.view")
def may_read_reports(user: Any, obj: Any) -> bool:
    """The reports' index and ticket lists: IT staff (each list is narrowed to its reader)."""
    return user.has_role(*REPORT_ROLES)


@rule("reports.agent")
def may_read_agent_dashboard(user: Any, obj: Any) -> bool:
    return user.has_role(Role.AGENT, Role.ADMIN)


@rule("reports.groups")
def may_read_group_dashboard(user: Any, obj: Any) -> bool:
    """Group managers (of their groups) and administrators (of every queue)."""
    return user.has_role(Role.ADMIN) or (user.has_role(*REPORT_ROLES) and manages_groups(user))


@rule("reports.services")
def may_read_service_dashboard(user: Any, obj: Any) -> bool:
    return user.has_role(Role.SERVICE_OWNER, Role.ADMIN)


@rule("reports.overview")
def may_read_overview(user: Any, obj: Any) -> bool:
    """The desk-wide figures are IT management's: administrators."""
    return user.has_role(Role.ADMIN)
