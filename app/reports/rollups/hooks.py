"""Keep the reporting facts and daily rollups current in the transaction that changes tickets.

The same pattern as ``app.sla.hooks``: ``after_flush`` notes the ids of the tickets a flush
inserted or changed and of those it wrote ``TicketEvent`` rows for (in ``session.info``), and
``before_commit`` recomputes their facts with :func:`app.reports.rollups.facts.refresh_facts`,
so a ticket change and the figures that count it commit together or not at all. A session hook
rather than a scheduler job: the dashboards are exact the moment a change commits, and the
work per commit is a few rows (a bulk load of history is rebuilt with ``flask reports
rollup`` instead).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from app.db import listen_once
from app.extensions import db
from app.reports.rollups import models as _models  # noqa: F401  (the tables, for the schema)

PENDING = "reports_pending_tickets"
BUSY = "reports_refreshing"


def _after_flush(session: Session, _context: Any) -> None:
    from app.tickets.models import Ticket, TicketEvent

    ids = {obj.ticket_id for obj in session.new if isinstance(obj, TicketEvent)}
    ids.update(
        obj.id
        for obj in (*session.new, *session.dirty)
        if isinstance(obj, Ticket) and obj.id is not None
    )
    if ids:
        session.info.setdefault(PENDING, set()).update(ids)


def _before_commit(session: Session) -> None:
    if session.info.get(BUSY) or session.in_nested_transaction():
        return  # a SAVEPOINT released inside the transaction: wait for the real commit
    session.flush()
    ids = session.info.pop(PENDING, None)
    if not ids:
        return
    from app.reports.rollups.facts import refresh_facts

    session.info[BUSY] = True
    try:
        refresh_facts(ids)
        session.flush()
    finally:
        session.info.pop(BUSY, None)
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
    listen_once(db.session, _LISTENERS)
