"""The people around a ticket, as the rules need them (:class:`~app.notifications.rules.Parties`),
read with a few queries per fan-out whatever the number of watchers."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import or_, select

from app.auth.models import Group, Role, RoleGrant, group_members
from app.cmdb.classes.tree import of_class
from app.cmdb.graph.vocabulary import BUSINESS_SERVICE
from app.cmdb.models import ConfigurationItem, Lifecycle
from app.extensions import db
from app.incidents.models import Incident
from app.notifications.rules import Parties
from app.tickets.models import Ticket, TicketEvent, ticket_watchers


def parties_of(ticket: Ticket, events: Iterable[TicketEvent]) -> Parties:
    """Everyone who may hear of ``events`` on ``ticket`` (IT staff marked)."""
    types = {e.type for e in events}
    watchers = frozenset(
        db.session.scalars(
            select(ticket_watchers.c.user_id).where(ticket_watchers.c.ticket_id == ticket.id)
        )
    )
    group = ticket.assignment_group
    members = _members({e.data.get("group_id") for e in events if e.type == "assigned"})
    owners: frozenset[int] = frozenset()
    managers: frozenset[int] = frozenset()
    if "major_changed" in types and isinstance(ticket, Incident):
        owners = service_owners(ticket)
        managers = _with_role(Role.ADMIN)
    delegates = _delegates(e for e in events if e.type in APPROVAL_EVENTS)
    around = {ticket.caller_id, ticket.assignee_id, *watchers, *members}
    return Parties(
        ticket_kind=ticket.kind.value,
        caller_id=ticket.caller_id,
        assignee_id=ticket.assignee_id,
        group_manager_id=group.manager_id if group is not None else None,
        group_member_ids=members,
        watcher_ids=watchers,
        owner_ids=owners,
        major_manager_ids=managers,
        staff_ids=staff_among(i for i in around if i is not None),
        delegates=delegates,
    )


APPROVAL_EVENTS = frozenset({"approval_requested", "approval_reminded"})


def _delegates(events: Iterable[TicketEvent]) -> dict[int, int]:
    """Approver id -> their delegate when the event happened (approvers without one left out)."""
    from app.requests.approvals.delegation import active_delegate

    found = {}
    for event in events:
        approver = event.data.get("approver_id")
        if approver and approver not in found:
            delegate = active_delegate(approver, event.created_at)
            if delegate is not None:
                found[approver] = delegate.id
    return found


def _members(group_ids: Iterable[int | None]) -> frozenset[int]:
    ids = [g for g in group_ids if g]
    if not ids:
        return frozenset()
    query = select(group_members.c.user_id).where(group_members.c.group_id.in_(ids))
    return frozenset(db.session.scalars(query))


def _with_role(role: Role) -> frozenset[int]:
    return frozenset(db.session.scalars(select(RoleGrant.user_id).where(RoleGrant.role == role)))


def staff_among(user_ids: Iterable[int]) -> frozenset[int]:
    """Those of ``user_ids`` who are IT staff (agents: they read work notes)."""
    ids = list(set(user_ids))
    if not ids:
        return frozenset()
    query = select(RoleGrant.user_id).where(
        RoleGrant.role == Role.AGENT, RoleGrant.user_id.in_(ids)
    )
    return frozenset(db.session.scalars(query))


def service_owners(incident: Incident) -> frozenset[int]:
    """The owners of the business services an incident affects (named as its affected service
    or linked as one of its CIs), retired services left out."""
    ci_ids = [ci.id for ci in incident.cis]
    if not incident.affected_service and not ci_ids:
        return frozenset()
    query = select(ConfigurationItem.owner_id).where(
        of_class(BUSINESS_SERVICE),
        ConfigurationItem.status != Lifecycle.RETIRED,
        ConfigurationItem.owner_id.is_not(None),
        or_(
            ConfigurationItem.name == incident.affected_service,
            ConfigurationItem.id.in_(ci_ids),
        ),
    )
    return frozenset(i for i in db.session.scalars(query) if i is not None)


def group_name(group_id: int | None) -> str:
    group = db.session.get(Group, group_id) if group_id else None
    return group.name if group is not None else ""
