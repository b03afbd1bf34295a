"""Queue the webhooks of ticket events in the transaction that records them (a
transactional outbox), as notifications do (``app.notifications.hooks``).

A session hook of the shared shape (:func:`app.tickets.event_hooks.on_ticket_events`): each
flush notes the ids of the ``TicketEvent`` rows it inserted whose type a subscription may hear,
and before the commit **one** ``webhooks.fan_out`` outbox message is asked for with them, on
the condition that at least one subscription is switched on
(:func:`app.outbox.enqueue_on_commit` with ``when=ANY_ENABLED``): the question and the message
are part of the one statement that writes the commit's messages (the notifications' fan-out
too). After the commit :func:`app.webhooks.services.fan_out` matches the subscriptions and
queues one delivery each. A rollback forgets the ids; a bulk load of history (the demo) sends
nothing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from app.sla.hooks import SETTLE
from app.tickets.event_hooks import event_ids, on_ticket_events
from app.webhooks.vocabulary import EVENT_TYPES


def _enqueue(session: Session, ids: set[Any]) -> None:
    if SETTLE in session.info:
        return
    from app.outbox import enqueue_on_commit
    from app.webhooks.services import ANY_ENABLED, FAN_OUT

    enqueue_on_commit(FAN_OUT, {"events": sorted(ids)}, when=ANY_ENABLED)


HOOK = on_ticket_events("webhooks", _enqueue, collect=event_ids(EVENT_TYPES))


def install() -> None:
    """Attach the hook to ``db.session`` (idempotent: apps built again share it)."""
    HOOK.install()
