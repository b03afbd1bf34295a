"""``flask deskgraph worker``: the RQ worker runs the outbox's jobs in its own process, each in
an application context (and database session) of its own, and RQ's job timeout still stops a
job that hangs; ``--fork`` runs each job in a forked child instead."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from app.outbox import enqueue, handler
from app.outbox.models import OutboxMessage, OutboxState
from tests.conftest import build_app, migrate
from tests.redis_server import private_redis  # noqa: F401  (fixture)

delivered: list[dict] = []


@handler("test.worker")
def record(payload: dict) -> None:
    delivered.append(payload)


def hang() -> None:
    """A job that never finishes by itself."""
    time.sleep(60)


def leave_a_row_uncommitted() -> None:
    """A job that flushes a row and fails before committing it."""
    from app.extensions import db

    db.session.add(OutboxMessage(kind="test.worker", payload={"leaked": True}))
    db.session.flush()
    raise RuntimeError("failed before its commit")


@pytest.fixture
def desk(fresh_database_url, tmp_path, private_redis) -> Iterator[Any]:  # noqa: F811
    """An application on a database of its own (the worker's jobs commit) and a Redis."""
    from redis import Redis

    from app.extensions import db

    delivered.clear()
    app = build_app(fresh_database_url, tmp_path / "instance", REDIS_URL=private_redis.url)
    migrate(app)
    connection = Redis.from_url(private_redis.url)
    yield app, connection
    connection.connection_pool.disconnect()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def queue_message(app: Any, n: int) -> int:
    from app.extensions import db

    with app.app_context():
        message_id = enqueue("test.worker", {"n": n})
        db.session.commit()  # the commit puts its job on Redis
        return message_id


def run_worker(app: Any, *options: str) -> None:
    result = app.test_cli_runner().invoke(args=["deskgraph", "worker", "--burst", *options])
    assert result.exit_code == 0, result.output


def states(app: Any) -> list[OutboxState]:
    from app.extensions import db

    with app.app_context():
        return list(db.session.scalars(select(OutboxMessage.state).order_by(OutboxMessage.id)))


def test_the_worker_delivers_queued_messages_in_its_own_process(desk):
    from rq import Queue

    app, connection = desk
    queue_message(app, 1)
    queue_message(app, 2)
    assert Queue("outbox", connection=connection).count == 2
    run_worker(app)
    assert delivered == [{"n": 1}, {"n": 2}]  # run here, not in a child that exited
    assert states(app) == [OutboxState.DONE, OutboxState.DONE]
    assert Queue("outbox", connection=connection).count == 0


def test_a_hanging_job_is_stopped_at_its_timeout_and_the_next_one_runs(desk):
    from rq import Queue

    app, connection = desk
    queue = Queue("outbox", connection=connection)
    hanging = queue.enqueue(hang, job_timeout=1)
    queue_message(app, 3)
    started = time.monotonic()
    run_worker(app)
    assert time.monotonic() - started < 30
    hanging.refresh()
    assert hanging.is_failed
    assert "JobTimeoutException" in (hanging.latest_result().exc_string or "")
    assert delivered == [{"n": 3}]
    assert states(app) == [OutboxState.DONE]


def test_a_failed_jobs_uncommitted_changes_do_not_reach_the_next_job(desk):
    from rq import Queue

    from app.extensions import db

    app, connection = desk
    Queue("outbox", connection=connection).enqueue(leave_a_row_uncommitted)
    queue_message(app, 4)  # its delivery commits: it must not commit the failed job's row
    run_worker(app)
    assert delivered == [{"n": 4}]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 1


def test_with_fork_each_job_runs_in_a_child(desk):
    app, _connection = desk
    queue_message(app, 5)
    run_worker(app, "--fork")
    assert delivered == []  # the child delivered it, then exited
    assert states(app) == [OutboxState.DONE]
