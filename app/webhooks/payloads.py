"""The JSON bodies of deliveries (``docs/webhooks.md`` describes them field by field).

Webhooks are integrations an administrator sets up, so their bodies carry what IT staff see:
the ticket's fields, people's names and addresses, and work notes for the subscriptions that
ask for them. Times are UTC ISO 8601.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from app.auth import references
from app.notifications.mailing import TICKET_ENDPOINTS, absolute_url
from app.tickets.models import JournalEntry, Ticket, TicketEvent, TicketKind
from app.webhooks import vocabulary

FORMAT_VERSION = 1


def _time(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def person(user: Any) -> dict[str, Any] | None:
    return references.person(user, email=True)


def _group(group: Any) -> dict[str, Any] | None:
    return {"id": group.id, "name": group.name} if group is not None else None


def ticket_fields(ticket: Ticket) -> dict[str, Any]:
    """The ticket as the delivery was prepared (just after the event's commit)."""
    number = ticket.number
    if ticket.kind == TicketKind.REQUEST_ITEM:
        number = ticket.request.number  # type: ignore[attr-defined]
    fields: dict[str, Any] = {
        "id": ticket.id,
        "number": ticket.number,
        "kind": ticket.kind.value,
        "short_description": ticket.short_description,
        "description": ticket.description,
        "state": ticket.state,
        "impact": ticket.impact,
        "urgency": ticket.urgency,
        "priority": ticket.priority,
        "caller": person(ticket.caller),
        "assignment_group": _group(ticket.assignment_group),
        "assignee": person(ticket.assignee),
        "opened_at": _time(ticket.opened_at),
        "resolved_at": _time(ticket.resolved_at),
        "closed_at": _time(ticket.closed_at),
        "url": absolute_url(TICKET_ENDPOINTS[ticket.kind], number=number),
    }
    if ticket.kind == TicketKind.INCIDENT:
        fields["affected_service"] = getattr(ticket, "affected_service", None)
    return fields


def event_body(
    uid: str, event: TicketEvent, ticket: Ticket, entry: JournalEntry | None, actor: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "format": FORMAT_VERSION,
        "delivery": uid,
        "event": vocabulary.event_name(ticket.kind.value, event.type),
        "event_id": event.id,
        "occurred_at": _time(event.created_at),
        "actor": person(actor),
        "ticket": ticket_fields(ticket),
        "data": dict(event.data or {}),
    }
    if entry is not None:
        body["comment"] = {
            "id": entry.id,
            "public": entry.is_public,
            "author": person(entry.author),
            "body": entry.body,
            "created_at": _time(entry.created_at),
        }
    return body


def ping_body(uid: str, subscription: Any, actor: Any, now: datetime) -> dict[str, Any]:
    return {
        "format": FORMAT_VERSION,
        "delivery": uid,
        "event": vocabulary.PING,
        "occurred_at": _time(now),
        "actor": person(actor),
        "subscription": {"id": subscription.id, "name": subscription.name},
    }
