"""Ask for notifications in the transaction that records the events (a transactional outbox).

A session hook of the shared shape (:func:`app.tickets.event_hooks.on_ticket_events`): each
flush notes the ids of the ``TicketEvent`` rows it inserted whose type someone may hear about,
and before the commit **one** outbox message ``notifications.fan_out`` is asked for with those
ids, whatever the number of people to tell: the recipients, preferences and mails are worked
out after the commit by :func:`app.notifications.services.fan_out`. The message is written
with the commit's other messages (the webhooks' fan-out) in one statement, by the outbox's
own ``before_commit`` listener (:func:`app.outbox.enqueue_on_commit`).

A rollback forgets the ids (and the outbox message goes with the transaction). A bulk load of
history (the demo; it marks its transaction with :func:`app.sla.hooks.settle_on_commit`) tells
nobody. Installed once per process by :func:`install`, before the SLA's hook, so that it sees
the bulk-load mark before that one drops it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from app.notifications.rules import EVENT_TYPES
from app.sla.hooks import SETTLE
from app.tickets.event_hooks import event_ids, on_ticket_events

FAN_OUT = "notifications.fan_out"


def _enqueue(session: Session, ids: set[Any]) -> None:
    if SETTLE in session.info:
        return
    from app.outbox import enqueue_on_commit

    enqueue_on_commit(FAN_OUT, {"events": sorted(ids)})


HOOK = on_ticket_events("notifications", _enqueue, collect=event_ids(EVENT_TYPES))


def install() -> None:
    """Attach the hook to ``db.session`` (idempotent: apps built again share it)."""
    HOOK.install()
