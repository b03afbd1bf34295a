"""What a policy does to a ticket still open in breach: notify the queue's manager, raise the
priority by one level, or reassign to another queue.

The actions work on any kind of ticket (incident, request item, catalog task…): they change only
fields every ``Ticket`` has and write the same journal entry and domain event the kinds' own
services write for a priority override or an assignment, so timelines, notifications and the
SLA clocks read them alike. They flush nothing and never commit (the tick does).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from app.errors import Invalid
from app.i18n import N_
from app.i18n.stored import english, stored
from app.sla.models import Escalation, SlaPolicy, TaskSla
from app.tickets import services as tickets
from app.tickets.models import EntryKind, Ticket

HIGHEST_PRIORITY = 1  # priority levels count down to 1, the most urgent


def escalate(ticket: Ticket, policy: SlaPolicy, record: TaskSla, now: datetime) -> dict | None:
    """Apply ``policy.escalation`` to ``ticket``; returns what was done (for the
    ``sla_escalated`` event), or None when there was nothing to do (no manager, already at
    the highest priority, already in the target queue)."""
    action = policy.escalation
    if action == Escalation.NOTIFY_MANAGER:
        manager = policy.group.manager_id if policy.group else None
        return {"notify": manager} if manager else None
    if action == Escalation.RAISE_PRIORITY:
        return raise_priority(
            ticket, stored(N_("SLA “%(policy)s” breached"), policy=policy.name), now
        )
    if action == Escalation.REASSIGN:
        return reassign(ticket, policy.escalation_group, now)
    return None


def raise_priority(ticket: Ticket, reason: dict[str, Any], now: datetime) -> dict | None:
    """One level more urgent, as an override with ``reason`` (a stored message: the timeline
    shows it in its reader's language, the override reason keeps its English)."""
    old = ticket.priority
    if old <= HIGHEST_PRIORITY:
        return None
    ticket.priority, ticket.priority_override_reason = old - 1, english(reason)
    overridden = stored(N_("Priority overridden: %(reason)s"), reason=reason)
    _journal(ticket, {"priority": [old, old - 1]}, overridden, now)
    tickets.record_event(
        ticket, "priority_changed", None, at=now, old=old, new=old - 1, overridden=True
    )
    return {"priority": [old, old - 1]}


def reassign(ticket: Ticket, group: Any, now: datetime) -> dict | None:
    """Move the ticket to ``group``, unassigned, counting a reassignment."""
    if group is None or ticket.assignment_group_id == group.id:
        return None
    try:
        tickets.assign(ticket, group=group, assignee=None, actor=None, now=now)
    except Invalid:  # the group stopped being an assignment group since the policy was saved
        return None
    return {"group": group.name}


def _journal(
    ticket: Ticket, changes: dict[str, list[Any]], body: dict[str, Any], now: datetime
) -> None:
    tickets.add_entry(ticket, EntryKind.CHANGE, None, body=body, changes=changes, at=now)
