"""Start a survey in the transaction that resolves a ticket.

A ``before_flush`` listener on the application's session looks at the ``state_changed``
ticket events about to be written: for each that resolves its ticket (an incident resolved, a
request item closed complete) it adds the ticket's survey row (the sampling decision) to the
same flush, and the ``survey_sent`` event when there is no delay, which the notifications'
hooks then see like any other event. A rollback takes them away with the change; the unique
constraint on ``surveys.ticket_id`` keeps one per ticket.

A bulk load of history marked by :func:`app.sla.hooks.settle_on_commit` before its flushes
starts no survey. The demo marks its transaction at the end, after its incidents were flushed:
its resolved incidents get their surveys (in the portal and the report), but no mail, since
the notifications skip the whole marked transaction.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from app.db import listen_once
from app.extensions import db
from app.sla.hooks import SETTLE


def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    from app.surveys import services
    from app.tickets.models import Ticket, TicketEvent

    if SETTLE in session.info:
        return
    events = [
        obj for obj in session.new if isinstance(obj, TicketEvent) and obj.type == "state_changed"
    ]
    for change in sorted(events, key=lambda e: (e.ticket_id, e.created_at)):
        ticket = session.get(Ticket, change.ticket_id)
        data = change.data or {}
        if ticket is not None and services.resolves(ticket, data.get("new"), data):
            services.start(ticket, change.created_at)


def install() -> None:
    """Attach the listener to ``db.session`` (idempotent: apps built again share it). Install
    it before the notifications' hooks: their ``after_flush`` sees the events it adds."""
    listen_once(db.session, [("before_flush", _before_flush)])
