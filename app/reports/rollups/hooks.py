"""Keep the reporting facts and daily rollups current in the transaction that changes tickets.

A session hook of the shared shape (:func:`app.tickets.event_hooks.on_ticket_events`), like
``app.sla.hooks``: each flush notes the ids of the tickets it inserted or changed and of those
it wrote ``TicketEvent`` rows for, and before the commit
:func:`app.reports.rollups.facts.refresh_facts` recomputes their facts, so a ticket change and
the figures that count it commit together or not at all. A session hook rather than a
scheduler job: the dashboards are exact the moment a change commits, and the work per commit
is a few rows (a bulk load of history is rebuilt with ``flask reports rollup`` instead).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from app.reports.rollups import models as _models  # noqa: F401  (the tables, for the schema)
from app.sla.hooks import ACTIVE_POLICIES
from app.tickets.event_hooks import EVENT_ROWS, event_tickets, on_ticket_events
from app.tickets.models import Ticket, TicketEvent

# The tickets this transaction inserted, each with the events it wrote for them: their facts
# are computed from them, without a fact row to look for (see ``facts.refresh_facts``).
NEW_TICKETS = "report_new_tickets"


def _changed_tickets(session: Session) -> set[int]:
    ids = event_tickets(session)
    ids.update(
        obj.id
        for obj in (*session.new, *session.dirty)
        if isinstance(obj, Ticket) and obj.id is not None
    )
    _note_new_tickets(session)
    return ids


def _note_new_tickets(session: Session) -> None:
    new: dict[int, tuple[Ticket, list[TicketEvent]]] = session.info.get(NEW_TICKETS, {})
    for obj in session.new:
        if isinstance(obj, Ticket) and obj.id is not None:
            new[obj.id] = (obj, [])
    for obj in session.new:
        if isinstance(obj, TicketEvent) and obj.ticket_id in new:
            new[obj.ticket_id][1].append(obj)
    if new:
        session.info[NEW_TICKETS] = new


def _refresh(session: Session, ticket_ids: set[Any]) -> None:
    from app.reports.rollups.facts import refresh_facts

    refresh_facts(ticket_ids)
    session.flush()


# The last hook to use what the SLA hook read (its events and active policies): dropped after
# it, with the tickets this transaction opened.
HOOK = on_ticket_events(
    "reports",
    _refresh,
    collect=_changed_tickets,
    also_forget=(EVENT_ROWS, ACTIVE_POLICIES, NEW_TICKETS),
)


def install() -> None:
    """Attach the hook to ``db.session`` (idempotent: apps built again share it)."""
    HOOK.install()
