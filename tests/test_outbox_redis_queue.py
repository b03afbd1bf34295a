"""After a commit the outbox hands its messages to RQ over one Redis connection per process,
kept between commits (issue 20: a client, a queue and a TCP connection built after every
write cost about 1 ms of the node's CPU each), and a connection the server closed meanwhile
is replaced, so a job is still queued after Redis restarts."""

from __future__ import annotations

import pytest

from app.outbox import enqueue, handler
from tests.redis_server import private_redis  # noqa: F401  (fixture)


@handler("test.queued")
def queued(payload: dict) -> None:  # never run here: the jobs wait on the private Redis
    raise AssertionError("delivered inline")


@pytest.fixture
def redis_queue(app, monkeypatch, private_redis):  # noqa: F811
    from redis import Redis
    from rq import Queue

    monkeypatch.setitem(app.config, "REDIS_URL", private_redis.url)
    connection = Redis.from_url(private_redis.url)
    yield connection, Queue("outbox", connection=connection)
    connection.connection_pool.disconnect()


def connections_received(connection) -> int:
    return int(connection.info("stats")["total_connections_received"])


def test_commits_queue_their_jobs_over_one_connection(db, redis_queue):
    connection, queue = redis_queue
    before = connections_received(connection)
    for n in range(3):
        enqueue("test.queued", {"n": n})
        db.session.commit()
    assert queue.count == 3
    assert connections_received(connection) - before <= 1  # was one per commit


def test_a_job_is_queued_after_redis_restarts(db, redis_queue, private_redis):  # noqa: F811
    connection, queue = redis_queue
    enqueue("test.queued", {"n": 1})
    db.session.commit()
    assert queue.count == 1
    private_redis.stop()
    private_redis.start()  # empty again; the kept connection is closed
    enqueue("test.queued", {"n": 2})
    db.session.commit()
    assert queue.count == 1  # the new job, queued over a new connection


def test_a_commits_messages_are_queued_together_in_one_round_trip(db, redis_queue, monkeypatch):
    """Each message of a commit becomes its own job naming it, in the order written, sent to
    Redis in one pipeline (RQ's own ``enqueue`` sends two a job)."""
    from redis.client import Pipeline

    connection, queue = redis_queue
    sent: list[int] = []
    execute = Pipeline.execute

    def counted(self, *args, **kwargs):
        sent.append(len(self.command_stack))
        return execute(self, *args, **kwargs)

    monkeypatch.setattr(Pipeline, "execute", counted)
    ids = [enqueue("test.queued", {"n": n}) for n in range(3)]
    db.session.commit()
    assert len(sent) == 1
    assert [job.args for job in queue.get_jobs()] == [(i,) for i in ids]
