"""Queue the webhooks of ticket events in the transaction that records them (a
transactional outbox), as notifications do (``app.notifications.hooks``).

``after_flush`` notes the ids of the ``TicketEvent`` rows a flush inserted whose type a
subscription may hear; ``before_commit`` enqueues **one** ``webhooks.fan_out`` outbox message
with them when at least one subscription is switched on. After the commit
:func:`app.webhooks.services.fan_out` matches the subscriptions and queues one delivery each.
A rollback forgets the ids; a bulk load of history (the demo) sends nothing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from app.db import listen_once
from app.extensions import db
from app.sla.hooks import SETTLE
from app.webhooks.vocabulary import EVENT_TYPES

PENDING = "webhooks_pending_events"


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
    from app.webhooks.services import FAN_OUT, any_enabled

    if any_enabled():
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
