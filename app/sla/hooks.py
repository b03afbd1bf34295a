"""Keep task SLA records current without the ticket services knowing about SLAs.

Two listeners on the application's session:

* ``after_flush`` notes the ticket ids of the ``TicketEvent`` rows the flush inserted (in
  ``session.info``, so each session keeps its own list);
* ``before_commit`` flushes what is pending, then recomputes those tickets' records with
  :func:`app.sla.services.refresh_ticket_slas` in the same transaction, so a ticket change and
  its SLA records are committed together or not at all.

A bulk load of history calls :func:`settle_on_commit` so that its tickets' past warnings and
breaches are recorded as notified when it commits. A rollback forgets the noted ids. Installed
once per process by :func:`install`, which the application factory calls when it connects the
domains' receivers.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from app.db import listen_once
from app.extensions import db

PENDING = "sla_pending_tickets"
SETTLE = "sla_settle_at"


def settle_on_commit(now: datetime) -> None:
    """Mark the current transaction as a bulk load of history (the demo, an import): the
    records of every ticket it touched are computed as of ``now`` and their past warnings and
    breaches recorded as already notified (see ``refresh_ticket_slas(settle=True)``), so the
    next tick does not announce them all at once. Order-independent: tickets added after
    the call, in the same transaction, are settled too."""
    db.session.info[SETTLE] = now


def _after_flush(session: Session, _context: Any) -> None:
    from app.tickets.models import TicketEvent

    ids = {obj.ticket_id for obj in session.new if isinstance(obj, TicketEvent)}
    if ids:
        session.info.setdefault(PENDING, set()).update(ids)


def _before_commit(session: Session) -> None:
    if session.info.get("sla_refreshing") or session.in_nested_transaction():
        return  # a SAVEPOINT released inside the transaction: wait for the real commit
    session.flush()
    ids = session.info.pop(PENDING, None)
    settle_at = session.info.pop(SETTLE, None)
    if not ids:
        return
    from app.sla.services import refresh_ticket_slas

    session.info["sla_refreshing"] = True
    try:
        refresh_ticket_slas(ids, now=settle_at, settle=settle_at is not None)
    finally:
        session.info.pop("sla_refreshing", None)
        session.info.pop(PENDING, None)


def _forget(session: Session, previous_transaction: Any) -> None:
    if previous_transaction.parent is None:  # the whole transaction, not a savepoint
        session.info.pop(PENDING, None)
        session.info.pop(SETTLE, None)


_LISTENERS = (
    ("after_flush", _after_flush),
    ("before_commit", _before_commit),
    ("after_soft_rollback", _forget),
)


def install() -> None:
    """Attach the listeners to ``db.session`` (idempotent: apps built again share them)."""
    listen_once(db.session, _LISTENERS)
