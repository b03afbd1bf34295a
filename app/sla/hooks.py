"""Keep task SLA records current without the ticket services knowing about SLAs.

Two listeners on the application's session:

* ``after_flush`` notes the ticket ids of the ``TicketEvent`` rows the flush inserted (in
  ``session.info``, so each session keeps its own list);
* ``before_commit`` flushes what is pending, then recomputes those tickets' records with
  :func:`app.sla.services.refresh_ticket_slas` in the same transaction, so a ticket change and
  its SLA records are committed together or not at all.

A rollback forgets the noted ids. Installed once per process by :func:`install` (the SLA
blueprint calls it when ``create_app`` registers it).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from app.extensions import db

PENDING = "sla_pending_tickets"


def _after_flush(session: Session, _context: Any) -> None:
    from app.tickets.models import TicketEvent

    ids = {obj.ticket_id for obj in session.new if isinstance(obj, TicketEvent)}
    if ids:
        session.info.setdefault(PENDING, set()).update(ids)


def _before_commit(session: Session) -> None:
    if session.info.get("sla_refreshing"):
        return
    session.flush()
    ids = session.info.pop(PENDING, None)
    if not ids:
        return
    from app.sla.services import refresh_ticket_slas

    session.info["sla_refreshing"] = True
    try:
        refresh_ticket_slas(ids)
    finally:
        session.info.pop("sla_refreshing", None)
        session.info.pop(PENDING, None)


def _forget(session: Session, previous_transaction: Any) -> None:
    if previous_transaction.parent is None:  # the whole transaction, not a savepoint
        session.info.pop(PENDING, None)


_LISTENERS = (
    ("after_flush", _after_flush),
    ("before_commit", _before_commit),
    ("after_soft_rollback", _forget),
)


def install() -> None:
    """Attach the listeners to ``db.session`` (idempotent: apps built again share them)."""
    for name, listener in _LISTENERS:
        if not event.contains(db.session, name, listener):
            event.listen(db.session, name, listener)
