"""The outbox: side effects recorded in the caller's transaction run once after it commits,
never after a rollback; failures are retried with backoff and dead-lettered with the reason;
two workers never run one message twice."""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import event, exists, select

from app.outbox import (
    MAX_ATTEMPTS,
    deliver,
    deliver_due,
    enqueue,
    enqueue_if,
    enqueue_on_commit,
    handler,
)
from app.outbox.models import OutboxMessage, OutboxState
from app.outbox.services import _insert, retry_delay
from app.timeutils import utc_now
from tests.conftest import build_app, count_queries, migrate
from tests.redis_server import private_redis  # noqa: F401  (fixture)

delivered: list[dict] = []


@handler("test.record")
def record(payload: dict) -> None:
    if payload.get("slow"):
        time.sleep(0.3)
    delivered.append(payload)


@handler("test.failing")
def failing(payload: dict) -> None:
    raise RuntimeError("the mail server said 451 try later")


@pytest.fixture(autouse=True)
def _clear() -> None:
    delivered.clear()


def messages(db) -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def inserts(statements: list[str]) -> list[str]:
    return [s for s in statements if s.lstrip().startswith("INSERT INTO outbox_messages")]


# Module constants, as the callers' conditions must be (the statements are cached by them).
NEVER = exists().where(OutboxMessage.id < 0)
ALWAYS = ~NEVER


def test_a_message_runs_after_commit_and_only_then(db):
    message_id = enqueue("test.record", {"n": 1})
    assert delivered == []  # nothing runs inside the transaction
    db.session.commit()
    assert delivered == [{"n": 1}]
    message = db.session.get(OutboxMessage, message_id)
    assert message.state == OutboxState.DONE
    assert message.attempts == 1
    assert deliver(message.id) is False  # done: never again
    assert delivered == [{"n": 1}]


def test_a_rollback_leaves_nothing_to_deliver(db):
    enqueue("test.record", {"n": 2})
    db.session.rollback()
    db.session.commit()
    assert delivered == []
    assert messages(db) == []


def test_a_message_enqueued_after_a_rollback_is_still_delivered_on_commit(db):
    enqueue("test.record", {"n": 2})
    db.session.rollback()
    enqueue("test.record", {"n": 3})
    db.session.commit()
    assert delivered == [{"n": 3}]


def test_a_conditional_message_asks_its_own_condition_with_a_statement_built_once(db):
    """Each condition has its statement, built at its first message and reused after."""
    none = exists().where(OutboxMessage.id < 0)
    some = ~none
    for n in range(2):
        assert enqueue_if(none, "test.record", {"n": n}) is None
        assert enqueue_if(some, "test.record", {"n": n}) is not None
    assert _insert(some) is _insert(some)
    assert _insert(none) is not _insert(some)
    db.session.commit()
    assert delivered == [{"n": 0}, {"n": 1}]


def test_a_message_is_the_row_the_model_writes(app, db, monkeypatch):
    """``enqueue``, ``enqueue_if`` and ``enqueue_on_commit`` write their rows by hand (one
    ``INSERT``, an ``INSERT ... SELECT``, one ``INSERT ... SELECT ... UNION ALL SELECT`` for
    a commit's messages): every column but the id and the times is what the model's defaults
    give."""
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")  # none delivered
    model = OutboxMessage(kind="test.record", payload={"n": 1})
    db.session.add(model)
    db.session.flush()
    plain = enqueue("test.record", {"n": 1})
    written = enqueue_if(ALWAYS, "test.record", {"n": 1})
    enqueue_on_commit("test.record", {"n": 1})
    enqueue_on_commit("test.record", {"n": 1}, when=ALWAYS)
    db.session.commit()
    db.session.expire_all()
    rows = messages(db)
    assert [row.id for row in rows[:3]] == [model.id, plain, written]
    assert len(rows) == 5
    skip = {"id", "created_at", "updated_at", "next_attempt_at"}
    columns = [c.key for c in OutboxMessage.__table__.columns if c.key not in skip]
    assert [[getattr(row, c) for c in columns] for row in rows] == [
        [getattr(rows[0], c) for c in columns]
    ] * 5
    assert all(row.next_attempt_at == row.created_at == row.updated_at for row in rows[1:])
    assert rows[3].created_at == rows[4].created_at  # one statement, one time


def test_a_commits_messages_are_written_together_just_before_it(db):
    """``enqueue_on_commit`` writes nothing at once: the commit writes every message its
    transaction asked for in one ``INSERT``, those whose condition holds, then delivers them."""
    with count_queries() as asked:
        enqueue_on_commit("test.record", {"n": 1})
        enqueue_on_commit("test.record", {"n": 2}, when=NEVER)
        enqueue_on_commit("test.record", {"n": 3}, when=ALWAYS)
    assert asked == []
    assert delivered == []
    with count_queries() as committed:
        db.session.commit()
    assert len(inserts(committed)) == 1, "\n".join(committed)
    assert "UNION ALL" in inserts(committed)[0]
    assert sorted(d["n"] for d in delivered) == [1, 3]
    assert [m.payload["n"] for m in messages(db)] == [1, 3]
    # A commit with one message uses the one-row statement; one with none writes nothing.
    enqueue_on_commit("test.record", {"n": 4}, when=ALWAYS)
    with count_queries() as single:
        db.session.commit()
    (written,) = [s for s in single if "INSERT" in s]
    assert written in inserts(single)
    assert "UNION" not in written
    with count_queries() as empty:
        db.session.commit()
    assert inserts(empty) == []
    assert sorted(d["n"] for d in delivered) == [1, 3, 4]


def test_a_kind_without_a_handler_is_refused_when_asked_for(db):
    with pytest.raises(ValueError, match="no outbox handler"):
        enqueue_on_commit("test.nobody", {})
    db.session.commit()
    assert messages(db) == []


def test_a_rollback_forgets_what_was_asked_for_and_the_next_commit_writes_its_own(db):
    enqueue_on_commit("test.record", {"n": 1})
    enqueue_on_commit("test.record", {"n": 2}, when=ALWAYS)
    db.session.rollback()
    db.session.commit()
    assert delivered == []
    assert messages(db) == []
    enqueue_on_commit("test.record", {"n": 3})
    db.session.commit()
    assert delivered == [{"n": 3}]


def test_a_savepoint_waits_for_the_commit_and_its_rollback_forgets_what_it_asked_for(db):
    """A message belongs to the work that asked for it, as ``enqueue``'s row would: a
    SAVEPOINT rolled back forgets what was asked for inside it (and inside savepoints it
    held), a SAVEPOINT released keeps it for the real commit, which writes it."""
    enqueue_on_commit("test.record", {"n": 1})
    with count_queries() as released, db.session.begin_nested():
        enqueue_on_commit("test.record", {"n": 2})
    assert inserts(released) == []
    outer = db.session.begin_nested()
    enqueue_on_commit("test.record", {"n": 3})
    with db.session.begin_nested():
        enqueue_on_commit("test.record", {"n": 4})
    outer.rollback()

    def failing_work() -> None:
        with db.session.begin_nested():
            enqueue_on_commit("test.record", {"n": 5})
            raise RuntimeError("the savepoint's work failed")

    with pytest.raises(RuntimeError):
        failing_work()
    enqueue_on_commit("test.record", {"n": 6})
    db.session.commit()
    assert sorted(d["n"] for d in delivered) == [1, 2, 6]


def test_a_savepoint_rolled_back_by_its_failed_flush_forgets_what_it_asked_for(db, make_user):
    """A flush that fails inside a SAVEPOINT rolls it back through the flush's own
    subtransaction: the messages asked for inside it go with it."""
    from sqlalchemy.exc import IntegrityError

    from app.auth.models import User

    taken = make_user("taken")

    def a_second_taken() -> None:
        with db.session.begin_nested():
            enqueue_on_commit("test.record", {"n": 2})
            db.session.add(User(username=taken.username, display_name="Twin"))
            db.session.flush()

    enqueue_on_commit("test.record", {"n": 1})
    with pytest.raises(IntegrityError):
        a_second_taken()
    db.session.commit()
    assert sorted(d["n"] for d in delivered) == [1]


def test_a_commit_of_many_messages_writes_them_all_in_a_few_statements(db):
    """More messages than SQLite takes in one ``UNION`` (500): written in statements of
    :data:`MOST_ROWS` each, every one delivered once."""
    from app.outbox.services import MOST_ROWS

    for n in range(520):
        enqueue_on_commit("test.record", {"n": n}, when=ALWAYS if n % 2 else None)
    with count_queries() as committed:
        db.session.commit()
    assert len(inserts(committed)) == -(-520 // MOST_ROWS)
    assert sorted(d["n"] for d in delivered) == list(range(520))


def test_a_message_asked_for_after_the_commits_messages_were_written_is_not_lost(db):
    """A ``before_commit`` listener attached after the outbox's writer asks too late for the
    commit's one statement: its message is written at once instead."""

    asked: list[bool] = []

    def late(session):
        if not asked:  # once: the deliveries' own commits run it too
            asked.append(True)
            enqueue_on_commit("test.record", {"n": "late"})

    enqueue_on_commit("test.record", {"n": "early"})
    event.listen(db.session, "before_commit", late)
    try:
        with count_queries() as committed:
            db.session.commit()
    finally:
        event.remove(db.session, "before_commit", late)
    assert len(inserts(committed)) == 2
    assert sorted(d["n"] for d in delivered) == ["early", "late"]
    enqueue_on_commit("test.record", {"n": "next"})  # the next transaction: at its commit
    assert len(messages(db)) == 2
    db.session.commit()
    assert delivered[-1] == {"n": "next"}


def test_a_failing_handler_is_retried_with_backoff_then_dead_lettered(db, caplog):
    with caplog.at_level(logging.WARNING, logger="app.outbox"):
        message_id = enqueue("test.failing", {"to": "kim@example.org"})
        db.session.commit()
    message = db.session.get(OutboxMessage, message_id)
    assert message.state == OutboxState.PENDING
    assert message.attempts == 1
    assert "451 try later" in message.last_error
    first_retry = message.next_attempt_at
    assert timedelta(seconds=20) < first_retry - utc_now() <= retry_delay(1)
    assert deliver_due() == 0  # not due yet

    now = first_retry
    while message.state == OutboxState.PENDING:
        assert deliver_due(now) == 1
        db.session.refresh(message)
        now = message.next_attempt_at
    assert message.state == OutboxState.DEAD
    assert message.attempts == MAX_ATTEMPTS
    assert message.last_error == "RuntimeError: the mail server said 451 try later"
    assert deliver_due(now + timedelta(days=1)) == 0
    assert any("is dead after 8 attempt(s)" in r.getMessage() for r in caplog.records)
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3, 8, 20)] == [
        30,
        60,
        120,
        3600,
        3600,
    ]


def test_outbox_run_delivers_what_redis_could_not_queue(app, db, caplog, monkeypatch):
    # With REDIS_URL set the message goes to RQ after commit; Redis is down (port 1), so the
    # message stays pending and the drain command delivers it.
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")
    with caplog.at_level(logging.WARNING, logger="app.outbox"):
        enqueue("test.record", {"n": 3})
        db.session.commit()
    assert delivered == []
    assert any("flask outbox run" in r.getMessage() for r in caplog.records)
    result = app.test_cli_runner().invoke(args=["outbox", "run", "--once"])
    assert result.exit_code == 0, result.output
    assert "1 message(s) delivered; 0 pending, 0 dead." in result.output
    assert delivered == [{"n": 3}]


def test_with_redis_an_rq_worker_delivers_the_message(
    app,
    db,
    monkeypatch,
    private_redis,  # noqa: F811
):
    from redis import Redis
    from rq import Queue, SimpleWorker

    connection = Redis.from_url(private_redis.url)
    monkeypatch.setitem(app.config, "REDIS_URL", private_redis.url)
    try:
        enqueue("test.record", {"n": 4})
        db.session.commit()
        assert delivered == []  # queued, not run in the committing process
        assert Queue("outbox", connection=connection).count == 1
        SimpleWorker(["outbox"], connection=connection).work(burst=True)
    finally:
        connection.connection_pool.disconnect()
    assert delivered == [{"n": 4}]
    assert messages(db)[0].state == OutboxState.DONE


def test_two_workers_deliver_a_message_once(fresh_database_url, tmp_path):
    app = build_app(fresh_database_url, tmp_path / "instance")
    migrate(app)
    from app.extensions import db

    with app.app_context():
        app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # queue it, do not deliver inline
        message_id = enqueue("test.record", {"slow": True})
        db.session.commit()
        app.config["REDIS_URL"] = None

    ran: list[bool] = []

    def worker() -> None:
        with app.app_context():
            ran.append(deliver(message_id))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(ran) == [False, True]
    assert delivered == [{"slow": True}]
    with app.app_context():
        assert db.session.get(OutboxMessage, message_id).state == OutboxState.DONE
        db.session.remove()
        db.engine.dispose()
