"""Ask for notifications in the transaction that records the events (a transactional outbox).

Two listeners on the application's session, like the SLA's (``app.sla.hooks``):

* ``after_flush`` notes the ids of the ``TicketEvent`` rows the flush inserted whose type
  someone may hear about (in ``session.info``, so each session keeps its own list);
* ``before_commit`` enqueues **one** outbox message ``notifications.fan_out`` with those ids,
  whatever the number of people to tell: the recipients, preferences and mails are worked out
  after the commit by :func:`app.notifications.services.fan_out`.

A rollback forgets the ids (and the outbox message goes with the transaction). A bulk load of
history (the demo; it marks its transaction with :func:`app.sla.hooks.settle_on_commit`) tells
nobody. Installed once per process by :func:`install`, before the SLA's hooks, so that it sees
the bulk-load mark before they consume it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from app.db import listen_once
from app.extensions import db
from app.notifications.rules import EVENT_TYPES
from app.sla.hooks import SETTLE

PENDING = "notifications_pending_events"
FAN_OUT = "notifications.fan_out"


def _after_flush(session: Session, _context: Any) -> None:
    from app.tickets.models import TicketEvent

    ids = [
        obj.id for obj in session.new if isinstance(obj, TicketEvent) and obj.type in EVENT_TYPES
    ]
    if ids:
        session.info.setdefault(PENDING, []).extend(ids)


def _before_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a SAVEPOINT released inside the transaction: wait for the real commit
    session.flush()
    ids = session.info.pop(PENDING, None)
    if not ids or SETTLE in session.info:
        return
    from app.outbox import enqueue

    enqueue(FAN_OUT, {"events": sorted(set(ids))})
    session.info.pop(PENDING, None)  # enqueue flushed; nothing of ours was added


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
