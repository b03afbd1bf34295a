"""The periodic tick: through the real Redis and an RQ worker when REDIS_URL is set, inline with
no server otherwise. Either way each warning and breach is recorded once and a second run changes
nothing.

The RQ test uses Redis database 13 (``DESKGRAPH_TEST_REDIS_URL`` to change it) with a queue,
cron and worker name of its own, and deletes every key it made. Without Redis it is skipped with
the reason, or fails under ``DESKGRAPH_TEST_STRICT=1``, like PostgreSQL.
"""

from __future__ import annotations

import os
import uuid
from datetime import timedelta

import pytest
from rq.job import Job
from sqlalchemy import func, select

from app.sla.schedule import cron_scheduler, worker
from tests import conftest as base
from tests.conftest import STRICT, build_app, migrate
from tests.redis_server import private_redis  # noqa: F401  (fixture)

REDIS_URL = os.environ.get("DESKGRAPH_TEST_REDIS_URL", "redis://127.0.0.1:6379/13")
LOCKS = ("rq:clean_groups",)


@pytest.fixture
def redis_connection():
    import redis

    connection = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2, socket_timeout=10)
    try:
        connection.ping()
    except redis.RedisError as error:
        message = f"Redis at {REDIS_URL} is unreachable ({error}): the RQ path is not tested"
        if STRICT:
            pytest.fail(message + " (DESKGRAPH_TEST_STRICT=1)", pytrace=False)
        pytest.skip(message)
    token = f"dg-sla-test-{uuid.uuid4().hex[:10]}"
    locks = [k for k in LOCKS if not connection.exists(k)]  # the worker's maintenance locks
    yield connection, token
    if locks:
        connection.delete(*locks)
    for key in connection.scan_iter(match="rq:job:*", count=500):  # our queue's jobs
        if connection.hget(key, "origin") == token.encode():
            job_id = key.decode().removeprefix("rq:job:")
            connection.delete(key, f"rq:results:{job_id}", f"rq:executions:{job_id}")
    for key in connection.scan_iter(match=f"*{token}*", count=500):
        connection.delete(key)
    for key in connection.scan_iter(match="rq:*", count=500):  # shared sets: only our members
        if connection.type(key) == b"set":
            members = [m for m in connection.smembers(key) if token.encode() in m]
            if members:
                connection.srem(key, *members)
        elif connection.type(key) == b"zset":
            members = [m for m in connection.zrange(key, 0, -1) if token.encode() in m]
            if members:
                connection.zrem(key, *members)
    left = [k for k in connection.scan_iter(match=f"*{token}*")]
    assert left == [], f"test keys left in Redis: {left}"
    connection.close()


def _seed(app, *, hours_ago: float) -> int:
    """A queue with a 24×7 one-hour resolution SLA and an incident opened ``hours_ago``."""
    from app.auth import groups
    from app.auth.models import Role
    from app.auth.services import create_local_user
    from app.extensions import db
    from app.incidents import services
    from app.sla.models import SlaCalendar, SlaPolicy
    from app.timeutils import utc_now

    with app.app_context():
        admin = create_local_user(
            username="boss", display_name="Boss", password=None, roles=[Role.ADMIN]
        )
        caller = create_local_user(username="ann", display_name="Ann", password=None)
        desk = groups.create_group(actor=admin, name="Service Desk")
        calendar = SlaCalendar(name="24×7", zone="UTC", week=[[["00:00", "24:00"]]] * 7)
        db.session.add(
            SlaPolicy(
                group_id=desk.id,
                calendar=calendar,
                name="Resolution",
                kind="resolution",
                scope="group",
                targets={str(p): 60 for p in range(1, 6)},
                pause_reasons=[],
                warnings=[50, 75],
            )
        )
        db.session.flush()
        incident = services.open_incident(
            caller=caller,
            opened_by=caller,
            short_description="Printer on fire",
            assignment_group=desk,
            now=utc_now() - timedelta(hours=hours_ago),
        )
        db.session.commit()
        return incident.id


def _sla_events(app, ticket_id: int) -> list[str]:
    from app.extensions import db
    from app.tickets.models import TicketEvent

    with app.app_context():
        query = (
            select(TicketEvent.type)
            .where(TicketEvent.ticket_id == ticket_id, TicketEvent.type.startswith("sla_"))
            .order_by(TicketEvent.id)
        )
        events = list(db.session.scalars(query))
        db.session.remove()
        return events


def test_rq_worker_runs_the_scheduled_tick_once_per_crossing(
    fresh_database_url, tmp_path, monkeypatch, redis_connection
):
    connection, token = redis_connection
    app = build_app(fresh_database_url, tmp_path / "instance")
    migrate(app)
    ticket_id = _seed(app, hours_ago=3)  # 50 %, 75 % and the breach are all behind it
    # A plain RQ work horse has no Flask application: the job builds one from the environment,
    # as `rq worker sla` does in production.
    for name, value in base.testing_environ(fresh_database_url, REDIS_URL=REDIS_URL).items():
        monkeypatch.setenv(name, value)

    scheduler = cron_scheduler(connection, queue=token, interval=60, name=token)
    (cron_job,) = scheduler.enqueue_jobs()  # an interval job runs at once the first time
    first = worker(connection, queue=token, name=f"{token}-1")
    assert first.work(burst=True) is True
    (job_id,) = cron_job.get_job_ids(connection)
    done = Job.fetch(job_id, connection=connection)
    assert done.get_status() == "finished", done.latest_result()
    result = done.return_value()
    assert (result["warnings"], result["breaches"], result["escalations"]) == (2, 1, [])
    assert _sla_events(app, ticket_id) == ["sla_warning", "sla_warning", "sla_breached"]

    # The next interval: the scheduler enqueues again, another worker runs it, nothing changes.
    assert scheduler.enqueue_jobs() == []  # not due yet
    for job in scheduler.get_jobs():
        job.next_enqueue_time = job.latest_enqueue_time
    assert len(scheduler.enqueue_jobs()) == 1
    assert worker(connection, queue=token, name=f"{token}-2").work(burst=True) is True
    latest = cron_job.get_job_ids(connection)[0]  # newest first
    assert latest != job_id
    again = Job.fetch(latest, connection=connection)
    assert again.get_status() == "finished", again.latest_result()
    assert (again.return_value()["warnings"], again.return_value()["breaches"]) == (0, 0)
    assert _sla_events(app, ticket_id) == ["sla_warning", "sla_warning", "sla_breached"]
    with app.app_context():
        from app.extensions import db

        db.engine.dispose()


def test_without_redis_the_scheduler_ticks_inline(
    app, db, queue, make_incident, calendar_row, policy
):
    from app.sla.models import TaskSla
    from app.tickets.models import TicketEvent
    from app.timeutils import utc_now

    desk = queue("Service Desk")
    always = calendar_row(week=[[["00:00", "24:00"]]] * 7)
    policy(desk, calendar=always, targets={p: 60 for p in range(1, 6)})
    ticket_id = make_incident(assignment_group=desk, now=utc_now() - timedelta(hours=3)).id
    assert app.config["REDIS_URL"] is None
    result = app.test_cli_runner().invoke(
        args=["sla", "scheduler", "--interval", "1", "--ticks", "2"]
    )
    assert result.exit_code == 0, result.output
    assert "REDIS_URL is not set: ticking inline every 1 s." in result.output
    assert "2 warning(s), 1 breach(es)" in result.output
    assert "0 warning(s), 0 breach(es)" in result.output  # the second tick found nothing new
    db.session.expire_all()
    count = select(func.count()).select_from(TicketEvent)
    assert db.session.scalar(count.where(TicketEvent.type.startswith("sla_"))) == 3
    record = db.session.scalar(select(TaskSla).where(TaskSla.ticket_id == ticket_id))
    assert (record.stage, record.notified_level) == ("breached", 1.0)
    worker_run = app.test_cli_runner().invoke(args=["sla", "worker", "--burst"])
    assert worker_run.exit_code == 1
    assert "REDIS_URL is not set" in worker_run.output


def test_the_scheduler_survives_a_redis_outage_and_catches_up_once(
    private_redis,  # noqa: F811
    caplog,
):
    import logging
    import threading
    import time

    from rq import Queue

    from app.sla.schedule import run_cron, scheduler_connection

    connection = scheduler_connection(private_redis.url)
    queue = Queue("sla", connection=connection)
    scheduler = cron_scheduler(connection, interval=3)
    stop = threading.Event()
    thread = threading.Thread(
        target=run_cron,
        args=(scheduler,),
        kwargs={"stop": stop, "first_retry": 0.1, "longest_retry": 0.4},
        daemon=True,
    )

    def wait_for_jobs(seconds: float) -> int:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if queue.count:
                return queue.count
            time.sleep(0.05)
        return queue.count

    with caplog.at_level(logging.WARNING, logger="app.sla.schedule"):
        thread.start()
        assert wait_for_jobs(2) == 1  # the first tick at once
        private_redis.stop()  # Redis goes away for more than one interval (its data with it)
        time.sleep(4.5)
        assert thread.is_alive()
        private_redis.start()
        assert wait_for_jobs(3) == 1  # caught up...
        time.sleep(1)
        assert queue.count == 1  # ...once, not once per missed interval
        assert thread.is_alive()
        stop.set()
        thread.join(5)
    connection.connection_pool.disconnect()
    assert not thread.is_alive()
    messages = [r.getMessage() for r in caplog.records]
    assert any("Redis unreachable" in m and "retrying in" in m for m in messages)
    assert any("Redis answers again" in m for m in messages)
