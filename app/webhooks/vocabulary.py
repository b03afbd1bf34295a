"""What a subscription can hear and which deliveries it is sent (pure: plain values only).

A domain event is a ``TicketEvent``; its webhook name is ``<ticket kind>.<event type>``
(``incident.created``, ``catalog_task.assigned``). A subscription filters by event type,
ticket kind, assignment group and business service; an empty filter lets everything through.
Work notes (internal comments) reach only the subscriptions that ask for them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from app.i18n import N_

# The ticket events a subscription may choose, with what the admin page says of each.
EVENT_TYPES: dict[str, str] = {
    "created": N_("A ticket is opened"),
    "assigned": N_("A ticket is assigned to a group or a person"),
    "state_changed": N_("A ticket changes state (resolved, closed, reopened...)"),
    "priority_changed": N_("An incident's priority changes"),
    "commented": N_("A reply (or, if chosen, a work note) is added"),
    "major_changed": N_("An incident becomes or stops being a major incident"),
    "approval_requested": N_("An approval is asked for"),
    "approval_reminded": N_("An approver is reminded"),
    "approval_decided": N_("An approval is granted or refused"),
    "automation_succeeded": N_("An automated fulfilment step succeeded"),
    "automation_failed": N_("An automated fulfilment step failed"),
    "sla_warning": N_("An SLA target nears its breach"),
    "sla_breached": N_("An SLA target is breached"),
    "sla_escalated": N_("A breached ticket is escalated"),
    "survey_sent": N_("A satisfaction survey is sent to the caller"),
    "survey_low_score": N_("A caller answers a survey with a low score"),
}

TICKET_KINDS: dict[str, str] = {
    "incident": N_("Incidents"),
    "request": N_("Requests"),
    "request_item": N_("Requested items"),
    "catalog_task": N_("Catalog tasks"),
}

PING = "ping"  # the test delivery an admin sends from the subscription's page


def event_name(ticket_kind: str, event_type: str) -> str:
    """The name a delivery carries in ``Deskgraph-Event`` and the body's ``event``."""
    return f"{ticket_kind}.{event_type}"


@dataclass(frozen=True)
class Filter:
    """What one subscription wants; an empty set means "any"."""

    event_types: frozenset[str] = frozenset()
    ticket_kinds: frozenset[str] = frozenset()
    group_ids: frozenset[int] = frozenset()
    service_ids: frozenset[int] = frozenset()
    work_notes: bool = False


@dataclass(frozen=True)
class Occurrence:
    """One event as the filters see it."""

    event_type: str
    ticket_kind: str
    group_id: int | None
    service_ids: frozenset[int] = frozenset()
    internal: bool = False  # a work note: staff-only text


def matches(wanted: Filter, event: Occurrence) -> bool:
    """Whether a subscription with ``wanted`` is sent ``event``."""
    if event.event_type not in EVENT_TYPES:
        return False
    if event.internal and not wanted.work_notes:
        return False
    return (
        _allows(wanted.event_types, [event.event_type])
        and _allows(wanted.ticket_kinds, [event.ticket_kind])
        and _allows(wanted.group_ids, [event.group_id])
        and _allows(wanted.service_ids, event.service_ids)
    )


def _allows(chosen: frozenset[object], values: Iterable[object]) -> bool:
    return not chosen or any(value in chosen for value in values)


def unknown(chosen: Iterable[str], known: Iterable[str]) -> list[str]:
    """The values of ``chosen`` that are not ``known`` (a form posted by hand)."""
    allowed = set(known)
    return sorted({value for value in chosen if value not in allowed})
