"""Several nodes may run the scheduler or `flask sla tick`: while one node ticks, the others
skip (PostgreSQL advisory lock), and every run leaves its trace in ``periodic_jobs`` for the
doctor and the metrics."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, func, select, text

from app.ops import periodic
from app.ops.models import PeriodicJob
from app.sla.jobs import TICK_JOB
from app.tickets.models import TicketEvent
from tests.conftest import POSTGRES_URL
from tests.sla.conftest import at


def breaches(db) -> int:
    return db.session.scalar(
        select(func.count()).select_from(TicketEvent).where(TicketEvent.type == "sla_breached")
    )


def test_a_tick_records_its_run(app, db, queue, make_incident, policy):
    desk = queue("Service Desk")
    policy(desk, targets={5: 1})
    make_incident(assignment_group=desk, now=at("2026-03-02 09:00"))
    result = app.test_cli_runner().invoke(args=["sla", "tick"])
    assert "1 breach(es)" in result.output
    row = db.session.get(PeriodicJob, TICK_JOB)
    assert row.runs == 1
    assert row.last_succeeded_at is not None
    assert row.last_error is None


def test_a_failing_job_is_recorded_and_raised(db):
    def broken() -> None:
        raise RuntimeError("SMTP said no")

    with pytest.raises(RuntimeError):
        periodic.run_once("notifications.digest", broken)
    row = db.session.get(PeriodicJob, "notifications.digest")
    assert row.failures == 1
    assert row.last_error == "RuntimeError: SMTP said no"
    assert row.last_succeeded_at is None


def test_while_another_node_ticks_this_one_skips(app, db, backend, queue, make_incident, policy):
    if backend != "postgresql":
        pytest.skip("SQLite is one node's database: there is no other node to wait for")
    desk = queue("Service Desk")
    policy(desk, targets={5: 1})
    make_incident(assignment_group=desk, now=at("2026-03-02 09:00"))
    other_node = create_engine(POSTGRES_URL)
    key = periodic.lock_key(TICK_JOB, db.session.scalar(text("SELECT current_schema()")))
    try:
        with other_node.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": key})
            skipped = app.test_cli_runner().invoke(args=["sla", "tick"])
            assert "skipped" in skipped.output
            assert breaches(db) == 0
            assert db.session.get(PeriodicJob, TICK_JOB).skipped == 1
            connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
        ran = app.test_cli_runner().invoke(args=["sla", "tick"])
        assert "1 breach(es)" in ran.output
        assert breaches(db) == 1
    finally:
        other_node.dispose()


def test_lock_keys_are_stable_and_distinct():
    assert periodic.lock_key("sla.tick") == periodic.lock_key("sla.tick")
    assert periodic.lock_key("sla.tick") != periodic.lock_key("mail.poll")
    # two desks in one database, each in its own schema, tick independently
    assert periodic.lock_key("sla.tick", "desk_a") != periodic.lock_key("sla.tick", "desk_b")
    assert periodic.lock_key("sla.tick", "public") == periodic.lock_key("sla.tick")
    assert -(2**63) <= periodic.lock_key("sla.tick") < 2**63


def test_a_desk_in_another_schema_does_not_make_this_one_skip(db, backend):
    if backend != "postgresql":
        pytest.skip("schemas are PostgreSQL's")
    other_desk = create_engine(POSTGRES_URL)  # a desk in ``public`` of the same database
    try:
        with other_desk.connect() as connection:
            connection.execute(
                text("SELECT pg_advisory_lock(:k)"), {"k": periodic.lock_key(TICK_JOB)}
            )
            ran, _ = periodic.run_once(TICK_JOB, lambda: None)
            connection.execute(
                text("SELECT pg_advisory_unlock(:k)"), {"k": periodic.lock_key(TICK_JOB)}
            )
        assert ran
        assert db.session.get(PeriodicJob, TICK_JOB).skipped == 0
    finally:
        other_desk.dispose()
