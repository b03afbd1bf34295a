"""Enqueue side effects in the caller's transaction; deliver them after commit (see the
package docstring)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import cache
from typing import Any, NamedTuple, cast

from flask import current_app, has_app_context
from sqlalchemy import (
    ColumnElement,
    Select,
    Table,
    bindparam,
    delete,
    insert,
    literal,
    select,
    union_all,
    update,
)
from sqlalchemy.orm import Session, SessionTransaction

from app import commit_writes, settings_cache
from app.after_answer import after_answer
from app.db import bulk, inside, listen_once, rolled_back_savepoint, unlisten
from app.extensions import db
from app.outbox.models import OutboxMessage, OutboxState
from app.outbox.transaction import after_commit, after_rollback
from app.timeutils import utc_now

log = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any]], None]

QUEUE = "outbox"
MAX_ATTEMPTS = 8
FIRST_RETRY = timedelta(seconds=30)  # then doubled at each attempt...
LONGEST_RETRY = timedelta(hours=1)  # ...up to this
LEASE = timedelta(minutes=10)  # a claimed message runs again after this if its worker died
PENDING_IDS = "deskgraph_outbox_ids"
ON_COMMIT = "deskgraph_outbox_on_commit"  # the messages to write before the commit
WRITTEN = "deskgraph_outbox_written"  # the transaction whose messages were written

_handlers: dict[str, Handler] = {}
_MESSAGES = cast(Table, OutboxMessage.__table__)


class PermanentFailure(Exception):
    """Raised by a handler for a failure that no retry can fix: the message is dead at once."""


def handler(kind: str) -> Callable[[Handler], Handler]:
    """Register the function that delivers messages of ``kind`` (one per kind)."""

    def register(function: Handler) -> Handler:
        existing = _handlers.get(kind)
        if existing is not None and existing is not function:
            raise ValueError(f"outbox kind {kind!r} already has a handler")
        _handlers[kind] = function
        return function

    return register


def enqueue(kind: str, payload: dict[str, Any]) -> int:
    """Record a side effect to run once the caller's transaction commits; returns the new
    message's id. The row is written at once, in one ``INSERT``, without the session's unit of
    work (nothing else is flushed).

    :raise ValueError: no handler is registered for ``kind``.
    """
    message_id = _write(kind, payload, None)
    assert message_id is not None  # written without a condition
    return message_id


def enqueue_if(condition: ColumnElement[bool], kind: str, payload: dict[str, Any]) -> int | None:
    """:func:`enqueue` when ``condition`` (an ``EXISTS``, say) holds as the row is written: the
    question and the row are one statement (``INSERT ... SELECT ... WHERE``). Returns the new
    message's id, None when the condition did not hold (nothing was written).

    :raise ValueError: no handler is registered for ``kind``.
    """
    return _write(kind, payload, condition)


def _write(kind: str, payload: dict[str, Any], condition: ColumnElement[bool] | None) -> int | None:
    _check_kind(kind)
    message_id = db.session.scalar(
        _insert(condition),
        {"kind": kind, "payload": payload, "state": OutboxState.PENDING, "now": utc_now()},
    )
    if message_id is not None:
        _deliver_after_commit(message_id)
    return message_id


@cache
def _insert(condition: ColumnElement[bool] | None) -> Any:
    """The ``INSERT`` of a new message, on ``condition`` when there is one, built once per
    process and condition: the values :class:`OutboxMessage`'s defaults would give, as
    parameters. The cache is keyed by the condition itself: a clause hashes by identity (its
    ``==`` is SQL, true only of the clause itself) and the cache keeps it alive, so no other
    clause takes its place. The callers' conditions are module constants (one built at each
    call would add an entry at each call)."""
    if condition is None:
        return insert(_MESSAGES).values(_values("")).returning(_MESSAGES.c.id)
    return _insert_rows([_row("", condition)])


def _values(suffix: str) -> dict[str, ColumnElement[Any]]:
    """A new message's values, as its model's defaults would give them: its ``kind`` and
    ``payload`` are the parameters ``kind{suffix}`` and ``payload{suffix}``; ``state`` and
    ``now`` (the times) are shared by the rows of one statement."""
    columns = _MESSAGES.c
    now = bindparam("now", type_=columns.created_at.type)
    return {
        "kind": bindparam(f"kind{suffix}", type_=columns.kind.type),
        "payload": bindparam(f"payload{suffix}", type_=columns.payload.type),
        "state": bindparam("state", type_=columns.state.type),
        "attempts": literal(0, columns.attempts.type),
        "next_attempt_at": now,
        "created_at": now,
        "updated_at": now,
    }


def _row(suffix: str, condition: ColumnElement[bool] | None) -> Select[Any]:
    """The ``SELECT`` of one new message's values, on ``condition`` when there is one."""
    row = select(*(value.label(name) for name, value in _values(suffix).items()))
    return row if condition is None else row.where(condition)


def _insert_rows(rows: list[Select[Any]]) -> Any:
    """``INSERT INTO outbox_messages ... SELECT ... [UNION ALL SELECT ...] RETURNING id``."""
    selected = rows[0] if len(rows) == 1 else union_all(*rows)
    return insert(_MESSAGES).from_select(list(_values("")), selected).returning(_MESSAGES.c.id)


@cache
def _insert_many(conditions: tuple[ColumnElement[bool] | None, ...]) -> Any:
    """The one ``INSERT`` of several messages, row ``n`` on ``conditions[n]`` when it is not
    None (its parameters ``kind_n`` and ``payload_n``), built once per process and shape: the
    number of rows and their conditions, module constants cached by identity as in
    :func:`_insert`."""
    return _insert_rows([_row(f"_{n}", condition) for n, condition in enumerate(conditions)])


class _Asked(NamedTuple):
    """A message asked for with :func:`enqueue_on_commit`, not written yet."""

    kind: str
    payload: dict[str, Any]
    when: ColumnElement[bool] | None
    savepoint: SessionTransaction | None  # the innermost SAVEPOINT it was asked in


def enqueue_on_commit(
    kind: str, payload: dict[str, Any], *, when: ColumnElement[bool] | None = None
) -> None:
    """Record a side effect, as :func:`enqueue` does (on ``when`` as :func:`enqueue_if` does),
    but write its row just before the current transaction of ``db.session`` commits, with
    every other message asked for in that transaction, in **one** ``INSERT ... SELECT ...
    UNION ALL SELECT ...`` (a statement less each: the hooks of ticket events ask for one
    message each at every commit). Nothing is returned: the row does not exist yet.

    A rollback of the transaction forgets the message, as does a rollback of the SAVEPOINT it
    was asked for in (as it would the row of :func:`enqueue`); a SAVEPOINT released keeps it
    for the real commit. Asked for once the messages of this commit were written (by a
    ``before_commit`` listener attached after :func:`install`'s), it is written at once.

    :raise ValueError: no handler is registered for ``kind``.
    """
    _check_kind(kind)
    session = db.session()
    # Begun now if need be, so that a rollback before any statement forgets the message too.
    transaction = session.get_transaction() or session.begin()
    if session.info.get(WRITTEN) is transaction:
        _write(kind, payload, when)  # the writer has run: now, or never
        return
    asked = _Asked(kind, payload, when, session.get_nested_transaction())
    session.info.setdefault(ON_COMMIT, []).append(asked)


def _write_asked(session: Session) -> None:
    """``before_commit``: write the messages asked for in the transaction, in one statement."""
    if session.in_nested_transaction():
        return  # a SAVEPOINT released inside the transaction: wait for the real commit
    session.info[WRITTEN] = session.get_transaction()
    asked: list[_Asked] = session.info.pop(ON_COMMIT, [])
    now = utc_now()
    for start in range(0, len(asked), MOST_ROWS):
        _write_rows(session, asked[start : start + MOST_ROWS], now)


MOST_ROWS = 50
"""The most messages one statement writes (SQLite refuses a ``UNION`` of more than 500
``SELECT`` s; and each number of rows is a statement of its own to build and cache)."""


def _write_rows(session: Session, asked: list[_Asked], now: datetime) -> None:
    params: dict[str, Any] = {"state": OutboxState.PENDING, "now": now}
    if len(asked) == 1:
        ((kind, payload, when, _),) = asked
        statement = _insert(when)
        params.update(kind=kind, payload=payload)
    else:
        statement = _insert_many(tuple(message.when for message in asked))
        for n, message in enumerate(asked):
            params[f"kind_{n}"], params[f"payload_{n}"] = message.kind, message.payload
    # The commit's other held inserts (facts, search documents) go with it: one round trip.
    for message_id in sorted(commit_writes.run_with(session, statement, params).scalars()):
        _deliver_after_commit(message_id, session)


def _forget_savepoint(session: Session, previous_transaction: SessionTransaction) -> None:
    """``after_soft_rollback`` of a SAVEPOINT: forget the messages asked for inside it."""
    rolled_back = rolled_back_savepoint(previous_transaction)
    if rolled_back is not None and ON_COMMIT in session.info:
        session.info[ON_COMMIT] = [
            message
            for message in session.info[ON_COMMIT]
            if not inside(message.savepoint, rolled_back)
        ]


def _forget(session: Session, transaction: SessionTransaction) -> None:
    """``after_transaction_end`` of the whole transaction (committed, rolled back or closed):
    what it asked for was written or goes with it."""
    if transaction.parent is None:
        session.info.pop(ON_COMMIT, None)
        session.info.pop(WRITTEN, None)


_LISTENERS: tuple[tuple[str, Callable[..., None]], ...] = (
    ("before_commit", _write_asked),
    ("after_soft_rollback", _forget_savepoint),
    ("after_transaction_end", _forget),
)


def install() -> None:
    """Attach the writer of :func:`enqueue_on_commit`'s messages to ``db.session``
    (idempotent). Listeners run in the order they were attached: attach it after those that
    ask for messages before the commit (the hooks of ticket events)."""
    listen_once(db.session, _LISTENERS)


def reinstall() -> None:
    """Detach the writer and attach it again, last: after a hook that asks for messages was
    attached again (benchmarks measure a hook with and without it), so that the hook's
    messages are written with the others, as in an application."""
    unlisten(db.session, _LISTENERS)
    install()
    commit_writes.uninstall(db.session)  # its last listener runs after this writer
    commit_writes.install(db.session)
    settings_cache.reinstall_bump()  # and the settings token's, after every other


def _check_kind(kind: str) -> None:
    if kind not in _handlers:
        raise ValueError(f"no outbox handler for {kind!r}")


def _deliver_after_commit(message_id: int, session: Session | None = None) -> None:
    """Deliver the message ``message_id`` once the transaction of ``session`` (``db.session``)
    commits (all of its messages at once)."""
    session = session if session is not None else db.session()
    ids = session.info.get(PENDING_IDS)
    if ids is None:
        ids = session.info[PENDING_IDS] = []
        after_commit(lambda: _dispatch(session.info.pop(PENDING_IDS, ids)), session)
        # A rollback drops the commit callback: forget the ids with it, so the next message
        # enqueued in this session registers its own delivery.
        after_rollback(lambda: session.info.pop(PENDING_IDS, None), session)
    ids.append(message_id)


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failed attempt (30 s, 1 min, 2 min… 1 h)."""
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), LONGEST_RETRY)


def _dispatch(ids: list[int]) -> None:
    """After commit: hand the new messages to RQ (in a request, after its answer), or
    deliver them here and now."""
    if not has_app_context():
        return  # committed outside the application: ``flask outbox run`` delivers them
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    url = app.config.get("REDIS_URL")
    if url:
        # In a request, once its answer is sent: nobody waits for Redis (the messages are
        # committed; were the jobs lost, ``flask outbox run`` delivers them).
        if not after_answer(lambda: _enqueue_jobs(url, ids)):
            _enqueue_jobs(url, ids)
        return
    with app.app_context():  # a fresh session: the committing one cannot run SQL now
        for message_id in ids:
            deliver(message_id)


# The ``outbox`` queue of each Redis URL, built once per process: its client's connection pool
# keeps a connection open between commits instead of connecting (and building the client and
# the queue) after every one. The pool notices a fork (gunicorn's workers start with their
# own connections) and replaces a connection the server closed before handing it out.
_queues: dict[str, Any] = {}


def _queue(url: str) -> Any:
    queue = _queues.get(url)
    if queue is None:
        from redis import Redis
        from rq import Queue

        queue = _queues[url] = Queue(
            QUEUE, connection=Redis.from_url(url, socket_connect_timeout=2)
        )
    return queue


def _enqueue_jobs(url: str, ids: list[int]) -> None:
    from redis import RedisError
    from rq import Queue

    from app.outbox.jobs import deliver_job

    try:
        # One round trip for the commit's messages (RQ's enqueue sends two pipelines a job).
        jobs = [Queue.prepare_data(deliver_job, (message_id,)) for message_id in ids]
        _queue(url).enqueue_many(jobs)
    except RedisError as error:
        log.warning(
            "outbox: could not queue messages %s on Redis (%s); `flask outbox run` delivers them",
            ids,
            error,
        )


def claim(message_id: int, now: datetime) -> bool:
    """Take a due pending message for one delivery attempt (committed at once): the attempt is
    counted and the message leased, so no other worker picks it up meanwhile."""
    claimed = db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            OutboxMessage.state == OutboxState.PENDING,
            OutboxMessage.next_attempt_at <= now,
        )
        .values(attempts=OutboxMessage.attempts + 1, next_attempt_at=now + LEASE, updated_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return bool(claimed)


def claim_due(ids: list[int], now: datetime) -> list[tuple[int, str, dict[str, Any]]]:
    """Take the messages of ``ids`` that are still due, like :func:`claim` but in one
    statement and one commit for all of them (a busy worker's drain); returns the taken
    messages' ``(id, kind, payload)`` in the order of ``ids``."""
    if not ids:
        return []
    claimed = db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id.in_(ids),
            OutboxMessage.state == OutboxState.PENDING,
            OutboxMessage.next_attempt_at <= now,
        )
        .values(attempts=OutboxMessage.attempts + 1, next_attempt_at=now + LEASE, updated_at=now)
        .returning(OutboxMessage.id, OutboxMessage.kind, OutboxMessage.payload)
        .execution_options(synchronize_session=False)
    ).all()
    db.session.commit()
    order = {message_id: n for n, message_id in enumerate(ids)}
    return sorted(((i, k, dict(p)) for i, k, p in claimed), key=lambda row: order[row[0]])


def deliver(message_id: int, now: datetime | None = None) -> bool:
    """Run one message's handler if it is due and nobody else has it; returns whether it ran.

    The handler's changes and ``done`` commit together; a failure is rolled back and
    recorded (retry later, or dead).
    """
    now = now or utc_now()
    if not claim(message_id, now):
        return False
    message = db.session.get(OutboxMessage, message_id)
    assert message is not None
    _run(message_id, message.kind, dict(message.payload), now)
    return True


# Built once: a long drain marks thousands of messages done with it.
_DONE = (
    update(_MESSAGES)
    .where(_MESSAGES.c.id == bindparam("message_id"))
    .values(state=OutboxState.DONE, last_error=None, updated_at=bindparam("now"))
)


def _run(message_id: int, kind: str, payload: dict[str, Any], now: datetime) -> None:
    """Run a claimed message's handler; commit its changes with ``done``, or record why not."""
    try:
        function = _handlers.get(kind)
        if function is None:
            raise PermanentFailure(f"no handler is registered for {kind!r}")
        function(payload)
        db.session.execute(_DONE, {"message_id": message_id, "now": utc_now()})
        db.session.commit()
    except Exception as error:
        db.session.rollback()
        _failed(message_id, kind, error, now)


def _failed(message_id: int, kind: str, error: Exception, now: datetime) -> None:
    message = db.session.get(OutboxMessage, message_id)
    assert message is not None
    reason = f"{type(error).__name__}: {error}"[:2000]
    message.last_error = reason
    if isinstance(error, PermanentFailure) or message.attempts >= MAX_ATTEMPTS:
        message.state = OutboxState.DEAD
        log.error(
            "outbox message %s (%s) is dead after %s attempt(s): %s",
            message_id,
            kind,
            message.attempts,
            reason,
        )
    else:
        message.next_attempt_at = now + retry_delay(message.attempts)
        log.warning(
            "outbox message %s (%s) failed (attempt %s), retry at %s: %s",
            message_id,
            kind,
            message.attempts,
            message.next_attempt_at.isoformat(),
            reason,
        )
    db.session.commit()


def deliver_due(now: datetime | None = None, limit: int = 100) -> int:
    """Deliver the pending messages that are due, oldest first; returns how many ran."""
    now = now or utc_now()
    due = list(
        db.session.scalars(
            select(OutboxMessage.id)
            .where(OutboxMessage.state == OutboxState.PENDING, OutboxMessage.next_attempt_at <= now)
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(limit)
        )
    )
    db.session.rollback()
    # One claim for the whole batch halves the commits of a long drain (10,000 mails). A
    # batch that outlasts half the lease stops: its other messages are due once it ends.
    ran, started = 0, time.monotonic()
    for message_id, kind, payload in claim_due(due, now):
        if ran and time.monotonic() - started > LEASE.total_seconds() / 2:
            break
        _run(message_id, kind, payload, now)
        ran += 1
    return ran


def purge_done(before: datetime) -> int:
    """Delete the messages delivered (``done``) before ``before`` (flushes); ``dead`` ones stay
    for an administrator, pending ones for delivery. How many went."""
    return bulk(
        db.session,
        delete(OutboxMessage).where(
            OutboxMessage.state == OutboxState.DONE, OutboxMessage.updated_at < before
        ),
    )
