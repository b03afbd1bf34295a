"""Authorization rules for SLA policies and reports (see ``app.policy``), and the filter that
keeps owners to their own queues."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select

from app.auth.models import Group, Role
from app.policy import rule


@rule("sla.reports")
def may_read_sla_reports(user: Any, obj: Any) -> bool:
    return user.has_role(Role.SERVICE_OWNER, Role.ADMIN)


@rule("sla.view")
def may_see_ticket_slas(user: Any, obj: Any) -> bool:
    """The SLAs of a ticket, as the incident and task pages show them to IT staff: agents."""
    return user.has_role(Role.AGENT)


@rule("sla.manage")
def may_manage_policies(user: Any, group: Any) -> bool:
    """Policies of a queue: its manager (a service owner) or an administrator. Without a
    queue: may this person manage policies of some queue at all."""
    if user.has_role(Role.ADMIN):
        return True
    if not user.has_role(Role.SERVICE_OWNER):
        return False
    return group is None or group.manager_id == user.id


@rule("sla.calendars")
def may_edit_calendars(user: Any, obj: Any) -> bool:
    return user.has_role(Role.ADMIN)


def visible_groups(user: Any, query: Select) -> Select:
    """Restrict a query over groups (or anything joined to them) to the user's queues."""
    if user.has_role(Role.ADMIN):
        return query
    return query.where(Group.manager_id == user.id)
