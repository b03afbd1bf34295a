"""The outbox: side effects (a directory change, later mail) run after the commit that asked
for them, from a durable record, never inside the database transaction.

A service calls :func:`enqueue` (``kind``, JSON ``payload``): it adds an
:class:`~app.outbox.models.OutboxMessage` row in the caller's transaction, so a rollback
leaves nothing to do and a commit leaves a record that survives a crash. With
:func:`enqueue_on_commit` the row is written just before the commit instead, in one statement
with the transaction's other such messages (the hooks of ticket events ask for two at each
commit), by a ``before_commit`` listener that the factory attaches after those hooks
(:func:`~app.outbox.services.install`). After the commit
(SQLAlchemy's ``after_commit``) the message is delivered: inline in a fresh session when
``REDIS_URL`` is unset, through the RQ queue ``outbox`` when it is set (``flask outbox
worker``). ``flask outbox run`` delivers whatever is due (a message whose RQ job was lost, a
retry), once with ``--once`` or polling.

A handler, registered by kind with :func:`handler`, receives the payload and works with
``db.session``; its changes and the message marked ``done`` commit together. A handler that
raises is retried with exponential backoff (the error kept in ``last_error``), and after
``MAX_ATTEMPTS`` (or at once for :class:`PermanentFailure`) the message is ``dead`` with its
reason. A message is claimed with a conditional ``UPDATE`` before it runs, so two workers
never run it twice; a worker that dies mid-run leaves it to be retried after a lease, so
handlers must be idempotent (at-least-once delivery).

:func:`~app.outbox.transaction.after_commit` and :func:`~app.outbox.transaction.after_rollback`
are the lower-level hooks the outbox is built on (attachments move their files with them).
"""

from app.outbox.services import (
    MAX_ATTEMPTS,
    PermanentFailure,
    deliver,
    deliver_due,
    enqueue,
    enqueue_if,
    enqueue_on_commit,
    handler,
)

__all__ = [
    "MAX_ATTEMPTS",
    "PermanentFailure",
    "deliver",
    "deliver_due",
    "enqueue",
    "enqueue_if",
    "enqueue_on_commit",
    "handler",
]
