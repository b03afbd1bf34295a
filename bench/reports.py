"""Reports at scale: the measures and their drill-downs over many tickets and events.

Seeds a database of its own (PostgreSQL: a schema in the ``test`` database, bulk-loaded with
COPY; SQLite: a file under ``instance/bench``), migrated like production: 40 queues (ten on an
office calendar), 200 agents, incidents opened over the last 400 days with about ten events
each (created, assigned, in progress, replies, holds, reassignments, resolved, reopened,
closed). Then ``flask reports rollup``'s :func:`rebuild` computes every ticket's facts and the
daily rollups from those events (timed), and each figure a dashboard shows is timed as the app
computes it (``figure``), for an administrator (every queue) and for one queue's manager, over
the last 30 and 365 days, as are the drill-downs (the first page of 50 tickets behind a figure,
newest first). Then each dashboard page (``/reports/<name>``, everything it shows: figures,
measures, tables, saved views) through the WSGI app in-process for the administrator, over the
default 30 days and over 365 days. p95 and median of ``--repeat`` runs after a warm-up, in ms.
The database is dropped at the end (``--keep`` keeps it; ``--reuse`` times a kept one again,
e.g. another version of the code, with ``--pages-only`` for the pages alone).

    python -m bench.reports                          # 1,000,000 tickets on PostgreSQL
    python -m bench.reports --tickets 100000         # quicker
    python -m bench.reports --sqlite --tickets 100000
    python -m bench.reports --tickets 100000 --keep  # then: --reuse --pages-only
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from sqlalchemy import insert, text

from bench._postgres import ROOT, app_on_fresh_schema, drop_schema, vacuum_analyze
from bench.sla_forecast import app_on_kept_schema

GROUPS = 40
OFFICE_GROUPS = 10  # queues 1-10 work office hours (a resolution policy on that calendar)
AGENTS = 200
CALLERS = 2_000
MANAGER = AGENTS + CALLERS + 9  # manages queue 7 (and only it)
CATEGORIES = ["Hardware", "Software", "Network", "Access", "Email", "Printing", "Phone"]
SERVICES = [f"Service {n:02d}" for n in range(1, 21)]
CHANNELS = ["portal", "email", "phone", "agent", "api"]
TICKET_COLUMNS = (
    "id, kind, number, short_description, description, state, channel, caller_id, "
    "assignment_group_id, assignee_id, impact, urgency, priority, opened_at, first_response_at, "
    "resolved_at, closed_at, reassignment_count, reopen_count, created_at, updated_at"
)
INCIDENT_COLUMNS = "id, category, affected_service"
EVENT_COLUMNS = "ticket_id, type, actor_id, data, created_at"


def _ticket(rng: random.Random, n: int, now: datetime, span: float) -> tuple[tuple, tuple, list]:
    """One incident's row, its incident row and its events."""
    opened = now - timedelta(seconds=rng.uniform(600, span))
    group = rng.randint(1, GROUPS)
    agent = rng.randint(2, AGENTS + 1)
    priority = rng.choices([1, 2, 3, 4, 5], weights=[2, 8, 30, 40, 20])[0]
    channel = rng.choice(CHANNELS)
    events: list[tuple] = [(n, "created", None, {"priority": priority}, opened)]
    events.append((n, "assigned", agent, {"group_id": group, "assignee_id": agent}, opened))
    at, state, responded, resolved, closed = opened, "new", None, None, None
    reassignments = reopens = 0

    def step(hours: float) -> datetime | None:
        nonlocal at
        at = at + timedelta(hours=hours)
        return at if at < now else None

    def change(new: str, reason: str | None = None) -> None:
        nonlocal state
        events.append(
            (n, "state_changed", agent, {"old": state, "new": new, "hold_reason": reason}, at)
        )
        state = new

    if step(rng.expovariate(1 / 2)):
        responded = at
        change("in_progress")
        for _ in range(rng.randint(1, 4)):
            if step(rng.expovariate(1 / 6)):
                events.append((n, "commented", agent, {"public": True}, at))
        if rng.random() < 0.2 and step(1):
            group = rng.randint(1, GROUPS)
            reassignments += 1
            events.append((n, "assigned", agent, {"group_id": group, "assignee_id": agent}, at))
        if rng.random() < 0.15 and step(1):
            change("on_hold", "awaiting_caller")
            if step(rng.uniform(1, 48)):
                change("in_progress")
        if state == "in_progress" and step(rng.expovariate(1 / 30)):
            change("resolved")
            resolved = at
            if rng.random() < 0.05 and step(24):
                change("in_progress")
                reopens += 1
                resolved = None
                if step(4):
                    change("resolved")
                    resolved = at
            if state == "resolved" and step(24 * 7):
                change("closed")
                closed = at
    row = (
        n, "incident", f"INC{n:08d}", f"Ticket {n}", "", state, channel,
        rng.randint(AGENTS + 2, AGENTS + CALLERS + 1), group, agent, 3, 3, priority, opened,
        responded, resolved, closed, reassignments, reopens, opened, at,
    )  # fmt: skip
    incident = (n, rng.choice(CATEGORIES), rng.choice(SERVICES))
    return row, incident, events


class Loader:
    """Bulk writes of Python values: COPY on PostgreSQL (JSON values dumped), executemany of
    the table's own ``INSERT`` on SQLite (so the column types convert the values)."""

    def __init__(self, db: Any) -> None:
        self.db = db
        self.postgres = db.engine.dialect.name == "postgresql"

    def write(self, table: str, columns: str, rows: Iterable[tuple]) -> None:
        rows = list(rows)
        if not rows:
            return
        if self.postgres:
            raw = self.db.session.connection().connection.driver_connection
            with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as cp:
                for row in rows:
                    cp.write_row([json.dumps(v) if isinstance(v, dict | list) else v for v in row])
            return
        names = [c.strip() for c in columns.split(",")]
        self.db.session.execute(
            insert(self.db.metadata.tables[table]),
            [dict(zip(names, row, strict=True)) for row in rows],
        )


def seed(db: Any, *, tickets: int, rng: random.Random, now: datetime) -> int:
    """Bulk-load people, queues, calendars, policies, incidents and their events; returns the
    number of events."""
    load = Loader(db)
    if load.postgres:
        # No foreign-key triggers while bulk loading (the rows are consistent by construction):
        # their cached lookup plans, made while ``tickets`` was empty, scan it for every event,
        # and seeding grew quadratically (a batch of 200,000 events took minutes at 150,000
        # tickets). Until the commit below.
        db.session.execute(text("SET LOCAL session_replication_role = replica"))
    people = [(1, "owner", "Owner")] + [
        (i, f"user{i:05d}", f"Person {i}") for i in range(2, AGENTS + CALLERS + 2)
    ]
    load.write(
        "users", "id, username, display_name, source, is_active, version, created_at, updated_at",
        ((*p, "local", True, 1, now, now) for p in people),
    )  # fmt: skip
    load.write("role_grants", "user_id, role, source, granted_at", [(1, "admin", "local", now)])
    load.write(
        "users", "id, username, display_name, source, is_active, version, created_at, updated_at",
        [(MANAGER, "manager7", "Manager 7", "local", True, 1, now, now)],
    )  # fmt: skip
    load.write(
        "groups", "id, name, is_assignment_group, manager_id, source, version, created_at, "
        "updated_at",
        ((g, f"Queue {g:02d}", True, MANAGER if g == 7 else 1, "local", 1, now, now)
         for g in range(1, GROUPS + 1)),
    )  # fmt: skip
    office = [[["08:00", "18:00"]]] * 5 + [[], []]
    load.write(
        "sla_calendars", "id, name, zone, week, closed_dates, version, created_at, updated_at",
        [(1, "Office", "Europe/Stockholm", office, [], 1, now, now)],
    )  # fmt: skip
    targets = {str(p): 60 * 8 * p for p in range(1, 6)}
    load.write(
        "sla_policies",
        "id, name, group_id, calendar_id, kind, scope, targets, pause_reasons, start_priorities, "
        "retroactive_start, warnings, escalation, is_active, version, created_at, updated_at",
        ((g, "Resolution", g, 1, "resolution", "group", targets, [], [], False, [50, 75],
          "none", True, 1, now, now) for g in range(1, OFFICE_GROUPS + 1)),
    )  # fmt: skip
    span, events_count = 400 * 86400, 0
    batch: tuple[list, list, list] = ([], [], [])
    for n in range(1, tickets + 1):
        row, incident, events = _ticket(rng, n, now, span)
        batch[0].append(row)
        batch[1].append(incident)
        batch[2].extend(events)
        if len(batch[2]) >= 200_000 or n == tickets:
            load.write("tickets", TICKET_COLUMNS, batch[0])
            load.write("incidents", INCIDENT_COLUMNS, batch[1])
            load.write("ticket_events", EVENT_COLUMNS, batch[2])
            events_count += len(batch[2])
            batch = ([], [], [])
            print(f"  … {n:,} tickets, {events_count:,} events", file=sys.stderr, flush=True)
    db.session.commit()
    return events_count


def timed(run: Callable[[], Any], repeat: int) -> tuple[float, float]:
    """p95 and median of ``repeat`` runs after one warm-up, in ms."""
    run()
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return timings[max(0, round(0.95 * len(timings)) - 1)], statistics.median(timings)


# What each dashboard shows (i17-dashboards' pages are built from these figures).
FIGURES: list[tuple[str, dict[str, Any]]] = [
    ("opened", {"by": "day"}),
    ("resolved", {"by": "day"}),
    ("opened", {"by": "channel"}),
    ("opened", {"by": "hour"}),
    ("response_time", {"by": "week"}),
    ("resolution_time", {"by": "week"}),
    ("resolution_time", {"basis": "wall", "by": "priority"}),
    ("backlog", {"by": "day"}),
    ("reopen_rate", {}),
    ("first_contact_rate", {}),
    ("reassignment", {}),
    ("workload", {}),
    ("incidents_per_service", {}),
    ("mttr", {}),
    ("sla_compliance", {"by": "week"}),
    ("csat", {}),
]
DRILLS: list[tuple[str, dict[str, Any]]] = [
    ("resolution_time", {}),
    ("opened", {"channel": "email"}),
    ("backlog", {}),
    ("reopen_rate", {"part": True}),
]


def drill_page(name: str, scope: Any, viewer: Any, dimension: dict[str, Any]) -> list[Any]:
    """The first page of the console behind a figure: 50 tickets, newest first."""
    from sqlalchemy import select

    from app.extensions import db
    from app.reports.measures import tickets_behind
    from app.tickets.models import Ticket

    ids = tickets_behind(name, scope, viewer, **dimension)
    return list(
        db.session.scalars(
            select(Ticket)
            .where(Ticket.id.in_(ids))
            .order_by(Ticket.opened_at.desc(), Ticket.id.desc())
            .limit(50)
        )
    )


def run_queries(app: Any, repeat: int, now: datetime) -> list[str]:
    from app.extensions import db
    from app.reports.measures import figure
    from app.reports.scope import Scope

    admin = SimpleNamespace(id=1, has_role=lambda *roles: True)
    manager = SimpleNamespace(id=MANAGER, has_role=lambda *roles: False)
    lines = []
    with app.app_context():
        for days in (30, 365):
            scope = Scope(now.date() - timedelta(days=days - 1), now.date())
            for who, viewer in (("admin, all queues", admin), ("manager, one queue", manager)):
                total = 0.0
                for name, options in FIGURES:
                    run = partial(figure, name, scope, viewer, **options)
                    p95, median = timed(run, repeat)
                    total += p95
                    label = f"{name} {options}" if options else name
                    lines.append(f"| {days} d | {who} | {label} | {p95:.0f} | {median:.0f} |")
                lines.append(f"| {days} d | {who} | **all {len(FIGURES)} figures** | "
                             f"**{total:.0f}** | |")  # fmt: skip
                for name, dimension in DRILLS:
                    page = partial(drill_page, name, scope, viewer, dimension)
                    p95, median = timed(page, repeat)
                    lines.append(
                        f"| {days} d | {who} | drill-down {name} {dimension} (50 newest) | "
                        f"{p95:.0f} | {median:.0f} |"
                    )
                db.session.rollback()
    return lines


DASHBOARDS = ("agent", "groups", "services", "overview")


def run_pages(app: Any, repeat: int, now: datetime) -> list[str]:
    """Each dashboard page for the administrator (user 1), 30 and 365 days."""
    client = app.test_client()
    with app.app_context():
        from app.extensions import db

        generation = db.session.scalar(text("SELECT session_generation FROM users WHERE id = 1"))
    with client.session_transaction() as session:
        session["_user_id"] = f"1:{generation}"
        session["_fresh"] = True
    lines = []
    year = (now.date() - timedelta(days=364)).isoformat()
    for days, query in ((30, ""), (365, f"?start={year}&end={now.date().isoformat()}")):
        for name in DASHBOARDS:
            url = f"/reports/{name}{query}"

            def get(url: str = url) -> None:
                response = client.get(url)
                assert response.status_code == 200, (url, response.status_code)

            p95, median = timed(get, repeat)
            lines.append(f"| {days} d | admin | page /reports/{name} | {p95:.0f} | {median:.0f} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--sqlite", action="store_true", help="SQLite instead of PostgreSQL")
    parser.add_argument("--schema", default="dg_bench_reports")
    parser.add_argument("--keep", action="store_true", help="keep the database for inspection")
    parser.add_argument("--report", help="append the results to this Markdown file")
    parser.add_argument("--reuse", action="store_true", help="time a --keep run's database")
    parser.add_argument("--pages-only", action="store_true", help="time the dashboard pages only")
    args = parser.parse_args()
    args.keep = args.keep or args.reuse
    sys.path.insert(0, str(ROOT))
    from flask_migrate import upgrade

    from app.extensions import db
    from app.reports.rollups.facts import rebuild
    from bench._report import Report

    report = Report("bench.reports", "Reports: measures and drill-downs", None)
    path = ROOT / "instance" / "bench" / "reports.sqlite3"
    if args.reuse:
        app = _sqlite_app(path, fresh=False) if args.sqlite else app_on_kept_schema(args.schema)
    else:
        app = _sqlite_app(path) if args.sqlite else app_on_fresh_schema(args.schema)
    rng, now = random.Random(17), datetime.now(UTC).replace(microsecond=0)
    try:
        if args.reuse:
            lines = [] if args.pages_only else run_queries(app, args.repeat, now)
            print("\n".join([*lines, *run_pages(app, args.repeat, now)]))
            return
        started = time.perf_counter()
        with app.app_context():
            upgrade()
            events = seed(db, tickets=args.tickets, rng=rng, now=now)
        seeded = time.perf_counter() - started
        if not args.sqlite:  # statistics for the rebuild's plans, as autovacuum would give
            vacuum_analyze(args.schema)
        started = time.perf_counter()
        with app.app_context():
            facts = rebuild()
            db.session.commit()
        rebuilt = time.perf_counter() - started
        if not args.sqlite:
            vacuum_analyze(args.schema)
        else:
            with app.app_context():
                db.session.execute(text("ANALYZE"))
                db.session.commit()
        engine = "SQLite" if args.sqlite else "PostgreSQL"
        head = [
            f"{engine}, Python {platform.python_version()} on {platform.machine()}: "
            f"{args.tickets:,} tickets and {events:,} events seeded in {seeded:.0f} s; "
            f"`rebuild()` (flask reports rollup) computed {facts:,} facts and the daily "
            f"rollups in {rebuilt:.0f} s. Times in ms over {args.repeat} runs.",
            "",
            "| range | viewer | figure | p95 ms | median ms |",
            "|---|---|---|---|---|",
        ]
        if not args.pages_only:
            head += run_queries(app, args.repeat, now)
        lines = head + run_pages(app, args.repeat, now)
        print("\n".join(lines))
        if args.report:
            report.append(args.report, [*lines, ""])
        with app.app_context():
            db.engine.dispose()
    finally:
        if not args.keep:
            if args.sqlite:
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{path}{suffix}").unlink(missing_ok=True)
            else:
                drop_schema(args.schema)


def _sqlite_app(path: Path, *, fresh: bool = True) -> Any:
    from app import create_app

    path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm") if fresh else ():
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return create_app(
        {
            "DATABASE_URL": f"sqlite:///{path}",
            "SECRET_KEY": "b" * 40,
            "DESKGRAPH_LOG_LEVEL": "WARNING",
        },
        instance_path=ROOT / "instance" / "bench",
    )


if __name__ == "__main__":
    main()
