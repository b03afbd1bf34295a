"""Authorization rules for SLA policies and reports (see ``app.policy``), and the filter that
keeps owners to their own queues."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, or_, select

from app.auth.models import Group, Role, group_members
from app.extensions import db
from app.policy import rule


@rule("sla.reports")
def may_read_sla_reports(user: Any, obj: Any) -> bool:
    return user.has_role(Role.SERVICE_OWNER, Role.ADMIN)


@rule("sla.view")
def may_see_ticket_slas(user: Any, obj: Any) -> bool:
    """The SLAs of tickets: agents (of every ticket, as the incident and task pages show
    them), and service owners (of the tickets on their services, which their dashboard
    counts: the API narrows a service owner to those)."""
    return user.has_role(Role.AGENT, Role.SERVICE_OWNER)


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


@rule("sla.at_risk")
def may_see_forecasts(user: Any, group_id: Any) -> bool:
    """The breach forecast: IT staff. Of one queue's clock (``group_id``): administrators and
    agents (who see every ticket), service owners for their own queues."""
    if user.has_role(Role.ADMIN, Role.AGENT):
        return True
    if not user.has_role(Role.SERVICE_OWNER):
        return False
    if group_id is None:
        return True
    return db.session.scalar(select(Group.manager_id).where(Group.id == group_id)) == user.id


def forecast_groups(user: Any, query: Select) -> Select:
    """Restrict a query over groups to the at-risk list's queues: an administrator's are all,
    an agent's those they belong to, a service owner's those they manage (both, for both)."""
    if user.has_role(Role.ADMIN):
        return query
    mine = select(group_members.c.group_id).where(group_members.c.user_id == user.id)
    return query.where(or_(Group.manager_id == user.id, Group.id.in_(mine)))
