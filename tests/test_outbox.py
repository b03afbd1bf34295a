"""The outbox: side effects recorded in the caller's transaction run once after it commits,
never after a rollback; failures are retried with backoff and dead-lettered with the reason;
two workers never run one message twice."""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import exists, select

from app.outbox import MAX_ATTEMPTS, deliver, deliver_due, enqueue, enqueue_if, handler
from app.outbox.models import OutboxMessage, OutboxState
from app.outbox.services import _insert, retry_delay
from app.timeutils import utc_now
from tests.conftest import build_app, migrate
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


def test_a_message_is_the_row_the_model_writes(db):
    """``enqueue`` and ``enqueue_if`` write their rows by hand (one ``INSERT``, an ``INSERT
    ... SELECT``): every column but the id and the times is what the model's defaults give."""
    model = OutboxMessage(kind="test.record", payload={"n": 1})
    db.session.add(model)
    db.session.flush()
    plain = enqueue("test.record", {"n": 1})
    written = enqueue_if(~exists().where(OutboxMessage.id < 0), "test.record", {"n": 1})
    db.session.expire_all()
    rows = [db.session.get(OutboxMessage, i) for i in (model.id, plain, written)]
    skip = {"id", "created_at", "updated_at", "next_attempt_at"}
    columns = [c.key for c in OutboxMessage.__table__.columns if c.key not in skip]
    assert [[getattr(row, c) for c in columns] for row in rows] == [
        [getattr(rows[0], c) for c in columns]
    ] * 3
    assert all(row.next_attempt_at == row.created_at for row in rows[1:])
    db.session.rollback()


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
