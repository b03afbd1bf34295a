"""SLA reports at scale: 1,000,000 task SLA records on PostgreSQL.

Seeds a schema of its own in the ``test`` database (migrated like production, bulk-loaded with
COPY): 40 queues with a resolution OLA each and a first-response SLA on ten of them, 500,000
tickets opened over the last 13 months, and 2 records per ticket on average (a response on a
quarter of them, one to three resolution stints after reassignments): about 85 % met, 12 %
breached, 3 % cancelled, half of the last two weeks still running. Then times each query of the
service owners' report page as the app runs them (compliance per queue, kind, priority and
month over the last 12 months, which the trend chart is summed from; median and p90 times;
breaches; at-risk), for an administrator (every queue) and for one queue, and the whole page
through the WSGI app in-process. The schema is dropped at the end (``--keep`` keeps it).

    python -m bench.sla_reports                    # 1,000,000 records
    python -m bench.sla_reports --tickets 40000    # quicker
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from bench._postgres import ROOT, app_on_fresh_schema, drop_schema, vacuum_analyze

GROUPS = 40
RESPONSE_GROUPS = 10  # queues 1–10 also promise a first response
CALLERS = 2_000
TARGETS = {1: 240, 2: 480, 3: 1440, 4: 2880, 5: 4320}  # minutes
TICKET_COLUMNS = (
    "id, kind, number, short_description, description, state, channel, caller_id, "
    "assignment_group_id, impact, urgency, priority, opened_at, created_at, updated_at"
)
RECORD_COLUMNS = (
    "ticket_id, policy_id, stint, group_id, kind, priority, target_seconds, stage, started_at, "
    "started_month, counted_from, stopped_at, due_at, breached_at, elapsed_seconds, "
    "paused_seconds, percentage, warnings, warning_level, notified_level, next_check_at, "
    "explanation, computed_as_of"
)


def _copy(connection, table: str, columns: str, rows) -> None:
    raw = connection.connection.driver_connection  # psycopg 3
    with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _record(rng, ticket_id, policy_id, stint, group, kind, priority, start, now):
    target = TARGETS[priority] * 60 * (1 if kind == "resolution" else 1 / 8)
    age = (now - start).total_seconds()
    roll = rng.random()
    if age < 14 * 86400 and roll < 0.5:
        stage, elapsed = ("in_progress", rng.uniform(0, 0.9) * target)
        stopped = breached = None
        due = start + timedelta(seconds=target)
    else:
        stage = "cancelled" if roll < 0.03 else "breached" if roll < 0.15 else "met"
        elapsed = (
            rng.uniform(1.0, 2.5) * target if stage == "breached" else rng.uniform(0.05, 1) * target
        )
        stopped = start + timedelta(seconds=elapsed * 1.4)
        breached = start + timedelta(seconds=target) if stage == "breached" else None
        due = start + timedelta(seconds=target)
    level = (
        1.0
        if breached
        else 0.75
        if elapsed >= 0.75 * target
        else 0.5
        if elapsed >= target / 2
        else 0.0
    )
    warnings = {k: (start + timedelta(seconds=target * t)).isoformat()
                for k, t in (("50", 0.5), ("75", 0.75)) if level >= t}  # fmt: skip
    return (
        ticket_id, policy_id, stint, group, kind, priority, int(target), stage, start,
        start.year * 100 + start.month, start,
        stopped, due, breached, int(elapsed), int(rng.random() < 0.2) * rng.randint(60, 7200),
        round(100 * elapsed / target, 2), json.dumps(warnings), level, level,
        due if stage == "in_progress" else None, "[]", stopped or now,
    )  # fmt: skip


def seed(db, *, tickets: int, rng: random.Random, now: datetime) -> int:
    """Bulk-load users, queues, calendar, policies, tickets and their records; returns the
    number of task SLA records."""
    connection = db.session.connection()
    users = [(1, "owner", "Owner", "owner@example.org")] + [
        (i, f"user{i:05d}", f"Caller {i}", f"user{i:05d}@example.org")
        for i in range(2, CALLERS + 2)
    ]
    _copy(
        connection,
        "users",
        "id, username, display_name, email, source, is_active, version, created_at, updated_at",
        ((*u, "local", True, 1, now, now) for u in users),
    )
    _copy(
        connection,
        "role_grants",
        "user_id, role, source, granted_at",
        [(1, "admin", "local", now), (1, "service_owner", "local", now)],
    )
    _copy(
        connection,
        "groups",
        "id, name, is_assignment_group, manager_id, source, version, created_at, updated_at",
        ((g, f"Queue {g:02d}", True, 1, "local", 1, now, now) for g in range(1, GROUPS + 1)),
    )
    week = json.dumps([[["00:00", "24:00"]]] * 7)
    _copy(
        connection,
        "sla_calendars",
        "id, name, zone, week, closed_dates, version, created_at, updated_at",
        [(1, "24×7", "UTC", week, "[]", 1, now, now)],
    )
    targets = json.dumps({str(p): m for p, m in TARGETS.items()})
    short = json.dumps({str(p): m // 8 for p, m in TARGETS.items()})
    policies = [
        (g, "Resolution", g, 1, "resolution", "group", targets) for g in range(1, GROUPS + 1)
    ] + [
        (100 + g, "First response", g, 1, "response", "ticket", short)
        for g in range(1, RESPONSE_GROUPS + 1)
    ]
    _copy(
        connection,
        "sla_policies",
        "id, name, group_id, calendar_id, kind, scope, targets, pause_reasons, "
        "start_priorities, retroactive_start, warnings, escalation, is_active, version, "
        "created_at, updated_at",
        ((*p, "[]", "[]", False, "[50, 75]", "none", True, 1, now, now) for p in policies),
    )
    # Load like pg_restore: the report indexes are dropped and rebuilt after the COPY (their
    # definitions read back from the migrated schema, so they are exactly the app's).
    indexes = db.session.execute(
        text(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'task_slas' "
            "AND indexname LIKE 'ix_%' AND schemaname = current_schema()"
        )
    ).all()
    for name, _definition in indexes:
        db.session.execute(text(f'DROP INDEX "{name}"'))
    ticket_rows, records = [], []
    span = 395 * 86400
    for n in range(1, tickets + 1):
        opened = now - timedelta(seconds=rng.uniform(600, span))
        group = rng.randint(1, GROUPS)
        priority = rng.choices([1, 2, 3, 4, 5], weights=[2, 8, 30, 40, 20])[0]
        ticket_rows.append(
            (n, "incident", f"INC{n:07d}", f"Ticket {n}", "", "closed", "portal",
             rng.randint(2, CALLERS + 1), group, 3, 3, priority, opened, opened, opened)
        )  # fmt: skip
        if group <= RESPONSE_GROUPS:
            records.append(
                _record(rng, n, 100 + group, 0, group, "response", priority, opened, now)
            )
        records.append(_record(rng, n, group, 1, group, "resolution", priority, opened, now))
        moves = rng.choices([0, 1, 2], weights=[40, 45, 15])[0]
        for stint in range(moves):
            other = rng.randint(1, GROUPS)
            start = opened + timedelta(hours=rng.uniform(1, 48) * (stint + 1))
            records.append(_record(rng, n, other, 2 + stint, other, "resolution", priority,
                                   min(start, now), now))  # fmt: skip
        if len(records) >= 100_000:
            _flush(connection, ticket_rows, records)
            ticket_rows, records = [], []
    _flush(connection, ticket_rows, records)
    for _name, definition in indexes:
        db.session.execute(text(definition))
    db.session.execute(
        text("SELECT setval(pg_get_serial_sequence('tickets', 'id'), :n)"), {"n": tickets}
    )
    db.session.commit()
    return db.session.execute(text("SELECT count(*) FROM task_slas")).scalar_one()


def _flush(connection, ticket_rows, records) -> None:
    _copy(connection, "tickets", TICKET_COLUMNS, ticket_rows)
    _copy(connection, "task_slas", RECORD_COLUMNS, records)
    print(f"  … {ticket_rows[-1][0]:,} tickets", file=sys.stderr, flush=True)


def timed(run, repeat: int) -> tuple[float, float, int]:
    """Median and best of ``repeat`` runs after one warm-up, in ms, and the rows returned."""
    rows = len(run())
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings), min(timings), rows


def page_time(app, repeat: int) -> tuple[float, float, int]:
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = "1"
        session["_fresh"] = True

    def get():
        response = client.get("/sla/reports")
        assert response.status_code == 200, response.status_code
        return response.get_data()

    return timed(get, repeat)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=500_000, help="≈ 2 records each")
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--schema", default="dg_bench_sla")
    parser.add_argument("--keep", action="store_true", help="keep the schema for inspection")
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE plans")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from flask_migrate import upgrade

    from app.extensions import db
    from app.sla import reports

    app = app_on_fresh_schema(args.schema)
    rng, now = random.Random(9), datetime.now(UTC)
    started = time.perf_counter()
    try:
        with app.app_context():
            upgrade()
            count = seed(db, tickets=args.tickets, rng=rng, now=now)
        vacuum_analyze(args.schema)  # a settled database, as autovacuum would leave it
        seeded = time.perf_counter() - started
        print(f"Python {platform.python_version()} on {platform.machine()}; {count:,} task SLA")
        print(f"records, {args.tickets:,} tickets, seeded in {seeded:.0f} s")
        since = now - timedelta(days=366)
        everything, one = list(range(1, GROUPS + 1)), [7]
        queries = {
            "compliance (queue × kind × priority × month)": (
                lambda ids: reports.compliance(ids, since=since)
            ),
            "times (median, p90 per queue and kind)": lambda ids: reports.times(ids, since=since),
            "breaches (newest 200)": lambda ids: reports.breaches(ids, limit=200),
            "at risk (due within 8 h)": lambda ids: reports.at_risk(ids, now, 8),
        }
        with app.app_context():
            for scope, ids in (("all 40 queues", everything), ("one queue", one)):
                for name, run in queries.items():
                    median, best, rows = timed(lambda: run(ids), args.repeat)  # noqa: B023
                    print(
                        f"{name}, {scope}: median {median:.0f} ms, best {best:.0f} ms ({rows} rows)"
                    )
            if args.explain:
                explain(db, since)
        median, best, _size = page_time(app, args.repeat)
        page = "/sla/reports page (five tables and the chart, admin)"
        print(f"{page}: median {median:.0f} ms, best {best:.0f} ms")
        with app.app_context():
            db.engine.dispose()
    finally:
        if not args.keep:
            drop_schema(args.schema)


def explain(db, since: datetime) -> None:
    """EXPLAIN ANALYZE of the compliance and times queries for all queues."""
    from sqlalchemy.dialects import postgresql

    from app.sla import reports

    captured = []

    def grab(statement):
        captured.append(
            str(
                statement.compile(
                    dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}
                )
            )
        )
        return []

    original = db.session.execute
    try:
        db.session.execute = grab  # type: ignore[method-assign]
        reports.compliance(list(range(1, GROUPS + 1)), since=since)
        reports.times(list(range(1, GROUPS + 1)), since=since)
    finally:
        db.session.execute = original  # type: ignore[method-assign]
    for sql in captured:
        plan = db.session.execute(text("EXPLAIN (ANALYZE, BUFFERS) " + sql)).scalars().all()
        print("\n".join(plan), "\n")


if __name__ == "__main__":
    main()
