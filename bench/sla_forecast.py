"""The SLA breach forecast at scale: the at-risk page and the backtest on PostgreSQL.

Seeds a schema of its own in the ``test`` database (migrated like production, bulk-loaded with
COPY) from a known generator: 20 queues on a 24×7 calendar, ``--history`` resolution clocks
started over the last 210 days, arrivals busier some weeks than others (a busy week's tickets
also take longer, so the backlog matters), business time to resolve log-normal (σ 0.8) with a
median per queue and priority; clocks whose resolution lies after "now" are still running
(about a thousand with the defaults). ``--filler`` older finished clocks (one to three years
ago) stand for the rest of a large desk: the forecast must not read them. Then times the
``/sla/at-risk`` page through the WSGI app in-process for an administrator (every queue) and
for one queue: the first request of the day (the history models are built) and the next
``--repeat`` ones (cached), and runs ``flask sla backtest --months 6`` on the same data.

    python -m bench.sla_forecast                                   # 100,000 + 900,000 filler
    python -m bench.sla_forecast --history 20000 --filler 0        # quicker
    python -m bench.sla_forecast --keep --no-backtest              # seed once and keep, then
    python -m bench.sla_forecast --reuse --no-backtest             # time again (A/B of code)
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from bench._postgres import POSTGRES, ROOT, app_on_fresh_schema, drop_schema, vacuum_analyze
from bench.sla_reports import RECORD_COLUMNS, TICKET_COLUMNS, _copy

QUEUES = 20
TARGETS = {1: 240, 2: 480, 3: 1440, 4: 2880, 5: 4320}  # minutes
SIGMA = 0.8
DAYS = 210


def _queue_speed(rng: random.Random) -> dict[int, float]:
    """Each queue's median as a share of the target (0.25–0.75: breach rates of about 4–36 %)."""
    return {q: rng.uniform(0.25, 0.75) for q in range(1, QUEUES + 1)}


def _history(rng: random.Random, count: int, now: datetime):
    """``(queue, priority, start, business seconds, final or so far)`` of ``count`` clocks."""
    speed = _queue_speed(rng)
    busy = {(q, w): rng.choice([0.6, 1.0, 1.0, 1.8]) for q in speed for w in range(DAYS // 7 + 2)}
    weights = [busy[(q, w)] for q in speed for w in range(DAYS // 7 + 1)]
    cells = [(q, w) for q in speed for w in range(DAYS // 7 + 1)]
    for queue, week in rng.choices(cells, weights=weights, k=count):
        offset = (week * 7 + rng.uniform(0, 7)) * 86400
        start = now - timedelta(days=DAYS) + timedelta(seconds=offset)
        if start >= now:
            start = now - timedelta(seconds=rng.uniform(60, 86400))
        priority = rng.choices([1, 2, 3, 4, 5], weights=[2, 8, 30, 40, 20])[0]
        median = TARGETS[priority] * 60 * speed[queue] * math.sqrt(busy[(queue, week)])
        yield queue, priority, start, rng.lognormvariate(math.log(median), SIGMA)


def _row(ticket, queue, priority, start, seconds, now):
    target = TARGETS[priority] * 60
    stop = start + timedelta(seconds=seconds)
    due = start + timedelta(seconds=target)
    if stop <= now:
        elapsed, stopped = int(seconds), stop
        stage = "breached" if seconds >= target else "met"
    else:
        elapsed, stopped = int((now - start).total_seconds()), None
        stage = "breached" if elapsed >= target else "in_progress"
    breached = due if (stopped or now) >= due else None
    level = 1.0 if breached else 0.0
    return (
        ticket, queue, 1, queue, "resolution", priority, target, stage, start,
        start.year * 100 + start.month, start, stopped, due, breached, elapsed, 0,
        round(100 * elapsed / target, 2), "{}", level, level,
        due if stopped is None and not breached else None, "[]", stopped or now,
    )  # fmt: skip


def seed(db, *, history: int, filler: int, rng: random.Random, now: datetime) -> dict[str, int]:
    """Bulk-load an administrator, the queues, the calendar, the policies, the tickets and
    their clocks; returns counts."""
    connection = db.session.connection()
    _copy(
        connection,
        "users",
        "id, username, display_name, email, source, is_active, version, created_at, updated_at",
        [(1, "owner", "Owner", "owner@example.org", "local", True, 1, now, now)],
    )
    _copy(connection, "role_grants", "user_id, role, source, granted_at",
          [(1, "admin", "local", now), (1, "agent", "local", now)])  # fmt: skip
    _copy(
        connection,
        "groups",
        "id, name, is_assignment_group, manager_id, source, version, created_at, updated_at",
        ((g, f"Queue {g:02d}", True, 1, "local", 1, now, now) for g in range(1, QUEUES + 1)),
    )
    _copy(connection, "group_members", "group_id, user_id", [(7, 1)])
    _copy(
        connection,
        "sla_calendars",
        "id, name, zone, week, closed_dates, version, created_at, updated_at",
        [(1, "24×7", "UTC", json.dumps([[["00:00", "24:00"]]] * 7), "[]", 1, now, now)],
    )
    targets = json.dumps({str(p): m for p, m in TARGETS.items()})
    _copy(
        connection,
        "sla_policies",
        "id, name, group_id, calendar_id, kind, scope, targets, pause_reasons, "
        "start_priorities, retroactive_start, warnings, escalation, is_active, version, "
        "created_at, updated_at",
        ((g, "Resolution", g, 1, "resolution", "group", targets, "[]", "[]", False, "[50, 75]",
          "none", True, 1, now, now) for g in range(1, QUEUES + 1)),
    )  # fmt: skip
    # Bulk load without the task SLA indexes, rebuilt afterwards from the migrated schema's
    # own definitions (so they are exactly the app's).
    indexes = db.session.execute(
        text(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'task_slas' "
            "AND indexname LIKE 'ix_%' AND schemaname = current_schema()"
        )
    ).all()
    for name, _definition in indexes:
        db.session.execute(text(f'DROP INDEX "{name}"'))
    counts = {"running": 0, "history": 0, "filler": 0}
    tickets, records = [], []

    def add(queue, priority, start, seconds, kind):
        n = len(tickets) + counts["history"] + counts["filler"] + 1
        row = _row(n, queue, priority, start, seconds, now)
        tickets.append((n, "incident", f"INC{n:07d}", f"Ticket {n}", "",
                        "new" if row[11] is None else "closed", "portal", 1, queue, 3, 3,
                        priority, start, start, start))  # fmt: skip
        records.append(row)
        counts["running"] += row[11] is None
        if len(records) >= 50_000:
            flush(kind)

    def flush(kind):
        _copy(connection, "tickets", TICKET_COLUMNS, tickets)
        _copy(connection, "task_slas", RECORD_COLUMNS, records)
        counts[kind] += len(records)
        print(f"  … {counts['history'] + counts['filler']:,} clocks", file=sys.stderr, flush=True)
        tickets.clear()
        records.clear()

    for queue, priority, start, seconds in _history(rng, history, now):
        add(queue, priority, start, seconds, "history")
    flush("history")
    for _ in range(filler):
        start = now - timedelta(days=rng.uniform(365, 3 * 365))
        priority = rng.choices([1, 2, 3, 4, 5], weights=[2, 8, 30, 40, 20])[0]
        seconds = rng.lognormvariate(math.log(TARGETS[priority] * 30), SIGMA)
        add(rng.randint(1, QUEUES), priority, start, seconds, "filler")
    if records:
        flush("filler")
    for _name, definition in indexes:
        db.session.execute(text(definition))
    total = counts["history"] + counts["filler"]
    db.session.execute(text("SELECT setval(pg_get_serial_sequence('tickets', 'id'), :n)"),
                       {"n": total})  # fmt: skip
    db.session.commit()
    return counts


def page_times(app, query: str, repeat: int) -> tuple[float, list[float]]:
    """The first request (models built) and ``repeat`` more (cached), in ms."""
    from app.sla.forecast import history

    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = "1:1"
        session["_fresh"] = True
    client.get(f"/sla/at-risk{query}")  # templates compiled, connections opened
    history.clear()  # a new day: the models are built again
    timings = []
    for _ in range(repeat + 1):
        started = time.perf_counter()
        response = client.get(f"/sla/at-risk{query}")
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
    return timings[0], timings[1:]


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(math.ceil(0.95 * len(ordered)) - 1, 0)]


def app_on_kept_schema(schema: str):
    """An application on a schema a ``--keep`` run left (not seeded again)."""
    from app import create_app

    return create_app(
        {
            "DATABASE_URL": f"{POSTGRES}?options=-csearch_path%3D{schema}",
            "SECRET_KEY": "b" * 40,
            "DESKGRAPH_LOG_LEVEL": "WARNING",
        },
        instance_path=ROOT / "instance" / "bench",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--history", type=int, default=100_000, help="clocks of the last 210 days")
    parser.add_argument("--filler", type=int, default=900_000, help="older finished clocks")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--schema", default="dg_bench_forecast")
    parser.add_argument("--keep", action="store_true", help="keep the schema for inspection")
    parser.add_argument(
        "--reuse", action="store_true", help="time the schema a --keep run left (implies --keep)"
    )
    parser.add_argument("--no-backtest", action="store_true")
    args = parser.parse_args()
    args.keep = args.keep or args.reuse
    sys.path.insert(0, str(ROOT))
    from flask_migrate import upgrade

    from app.extensions import db

    rng, now = random.Random(17), datetime.now(UTC)
    started = time.perf_counter()
    app = app_on_kept_schema(args.schema) if args.reuse else app_on_fresh_schema(args.schema)
    try:
        if args.reuse:
            with app.app_context():
                running = db.session.scalar(text("SELECT count(*) FROM task_slas WHERE stage IN "
                                                 "('in_progress', 'paused')"))  # fmt: skip
            print(f"Python {platform.python_version()} on {platform.machine()}; the kept "
                  f"schema {args.schema}: {running:,} clocks running")  # fmt: skip
        else:
            with app.app_context():
                upgrade()
                counts = seed(db, history=args.history, filler=args.filler, rng=rng, now=now)
            vacuum_analyze(args.schema)
            seeded = time.perf_counter() - started
            print(f"Python {platform.python_version()} on {platform.machine()}; seeded in "
                  f"{seeded:.0f} s: {counts['history']:,} clocks in the last {DAYS} days "
                  f"({counts['running']:,} running), {counts['filler']:,} older")  # fmt: skip
        pages = (
            ("all 20 queues (admin)", ""),
            ("all 20 queues, P4 only (≈ 1,200 running)", "?priority=4"),
            ("one queue", "?queue=7"),
        )
        for label, query in pages:
            first, warm = page_times(app, query, args.repeat)
            print(
                f"/sla/at-risk, {label}: first of the day {first:.0f} ms; then median "
                f"{statistics.median(warm):.0f} ms, p95 {p95(warm):.0f} ms ({len(warm)} requests)"
            )
        if not args.no_backtest:
            started = time.perf_counter()
            result = app.test_cli_runner().invoke(args=["sla", "backtest", "--months", "6"])
            print(result.output)
            if result.exception is not None:
                raise result.exception
            print(f"backtest: {time.perf_counter() - started:.0f} s")
        with app.app_context():
            db.engine.dispose()
    finally:
        if not args.keep:
            drop_schema(args.schema)


if __name__ == "__main__":
    main()
