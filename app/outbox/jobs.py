"""The RQ job that delivers one outbox message (queued after commit when ``REDIS_URL`` is
set; ``flask outbox worker`` or ``rq worker outbox`` runs it)."""

from __future__ import annotations

from app.ops.worker import in_app_context


def deliver_job(message_id: int) -> bool:
    from app.outbox.services import deliver

    return in_app_context(lambda: deliver(message_id))
