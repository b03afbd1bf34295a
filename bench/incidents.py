"""Incident pages at scale: 100,000 incidents and 1,000,000 journal entries on PostgreSQL.

Seeds a schema of its own in the ``test`` database with ``COPY`` (``app.bulk.insert_rows``;
cardinalities after the UCI ServiceNow event log: 78 groups, 234 agents, 5,000 callers), then
times the agent queue (filtered and sorted, page 1 and a deep page), the incident page and the
employee's "my tickets" through the WSGI app in-process (server time: routing, queries,
rendering), then opening incidents (an agent logging a call, an employee reporting a problem:
the post, its commit and what runs after it), and writes the medians, p95 and SQL statements
per request to docs/benchmarks.md. Opening is timed twice: with the outbox delivered inline
(no Redis, as in development) and handed to RQ on a throwaway ``redis-server`` (production; no
worker runs).

    python -m bench.incidents                    # full size
    python -m bench.incidents --incidents 20000  # quicker
    python -m bench.incidents --keep ...; python -m bench.incidents --reuse ...  # seed once
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from sqlalchemy import event, text

from bench._postgres import ROOT, app_on_fresh_schema, app_on_schema, drop_schema, vacuum_analyze

STATES = (
    ["new"] * 5
    + ["in_progress"] * 12
    + ["on_hold"] * 5
    + ["resolved"] * 8
    + (["closed"] * 65)
    + ["canceled"] * 5
)
WORDS = [
    "printer",
    "vpn",
    "outlook",
    "laptop",
    "erp",
    "teams",
    "wifi",
    "password",
    "share",
    "scanner",
    "label",
    "monitor",
    "crash",
    "slow",
    "error",
    "login",
    "access",
    "backup",
    "disk",
    "certificate",
]


def seed(db, *, incidents: int, entries_per: int, rng: random.Random) -> dict:
    """Write the people, groups, incidents and their journals through ``COPY`` (1,000,000
    incidents and 10,000,000 entries in minutes; multi-row inserts took most of an hour)."""
    from app.auth.models import GrantSource, Group, Role, RoleGrant, User, group_members
    from app.bulk import insert_rows
    from app.incidents.models import Incident
    from app.tickets.models import JournalEntry, NumberCounter, Ticket

    now = datetime.now(UTC)
    users = [
        {
            "id": i,
            "username": f"user{i:05d}",
            "display_name": f"Caller {i}",
            "email": f"user{i:05d}@example.org",
            "department": f"Dept {i % 40}",
            "source": "local",
            "is_active": True,
            "version": 1,
            "created_at": now,
            "updated_at": now,
        }
        for i in range(1, 5_001)
    ]
    agents = [
        {
            **u,
            "id": 10_000 + n,
            "username": f"agent{n:03d}",
            "display_name": f"Agent {n}",
            "email": f"agent{n:03d}@example.org",
        }
        for n, u in enumerate(users[:234], start=1)
    ]
    insert_rows(User.__table__, users + agents)
    insert_rows(
        RoleGrant.__table__,
        [
            {"user_id": u["id"], "role": role, "source": GrantSource.LOCAL.value, "granted_at": now}
            for u in users + agents
            for role in ((Role.EMPLOYEE.value,) + ((Role.AGENT.value,) if u["id"] > 10_000 else ()))
        ],
    )
    groups = [
        {
            "id": g,
            "name": f"Group {g}",
            "is_assignment_group": True,
            "source": "local",
            "version": 1,
            "created_at": now,
            "updated_at": now,
        }
        for g in range(1, 79)
    ]
    insert_rows(Group.__table__, groups)
    membership = {(a["id"], 1 + (a["id"] + k * 7) % 78) for a in agents for k in range(3)}
    insert_rows(group_members, [{"user_id": u, "group_id": g} for u, g in membership])
    by_group: dict[int, list[int]] = {}
    for user_id, group_id in membership:
        by_group.setdefault(group_id, []).append(user_id)

    tickets, details, journal = [], [], []
    for n in range(1, incidents + 1):
        opened = now - timedelta(minutes=rng.uniform(10, 60 * 24 * 730))
        group = rng.randint(1, 78)
        state = rng.choice(STATES)
        impact, urgency = rng.randint(1, 3), rng.randint(1, 3)
        assignee = rng.choice(by_group[group]) if state != "new" else None
        tickets.append(
            {
                "id": n,
                "kind": "incident",
                "number": f"INC{1000 + n:07d}",
                "short_description": " ".join(rng.sample(WORDS, 4)).capitalize(),
                "description": "Reported by phone. " * 5,
                "state": state,
                "channel": rng.choice(["portal", "phone", "email"]),
                "caller_id": rng.randint(1, 5_000),
                "opened_by_id": None,
                "assignment_group_id": group,
                "assignee_id": assignee,
                "impact": impact,
                "urgency": urgency,
                "priority": impact + urgency - 1,
                "opened_at": opened,
                "reassignment_count": 0,
                "reopen_count": 0,
                "version": 1,
                "created_at": opened,
                "updated_at": opened,
            }
        )
        details.append(
            {
                "id": n,
                "category": rng.choice(["Network", "Email", "Hardware"]),
                "major_state": "none",
            }
        )
        for k in range(entries_per):
            journal.append(
                {
                    "ticket_id": n,
                    "kind": ("reply", "work_note", "change")[k % 3],
                    "author_id": assignee or 10_001,
                    "body": "Checked the logs and called the user back. " * 2,
                    "changes": {"state": ["new", "in_progress"]} if k % 3 == 2 else {},
                    "created_at": opened + timedelta(minutes=10 * (k + 1)),
                }
            )
        if len(journal) >= 50_000:
            _flush(db, tickets, details, journal, Ticket, Incident, JournalEntry)
            tickets, details, journal = [], [], []
    _flush(db, tickets, details, journal, Ticket, Incident, JournalEntry)
    insert_rows(NumberCounter.__table__, [{"prefix": "INC", "last_value": 1000 + incidents}])
    for table in ("users", "groups", "tickets"):
        db.session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
        )
    db.session.commit()
    return {"agents": [a["id"] for a in agents], "callers": [u["id"] for u in users]}


def _flush(db, tickets, details, journal, Ticket, Incident, JournalEntry) -> None:
    from app.bulk import insert_rows

    insert_rows(Ticket.__table__, tickets)
    insert_rows(Incident.__table__, details)
    insert_rows(JournalEntry.__table__, journal)
    db.session.commit()
    print(f"  … {tickets[-1]['id'] if tickets else '?'} incidents", file=sys.stderr, flush=True)


TOKENS = re.compile(r'name="(csrf_token|submission_token)" type="hidden" value="([^"]+)"')
Result = tuple[float, float, float]  # median ms, p95 ms, median statements per request


@contextmanager
def counting(app: Any) -> Iterator[list[int]]:
    """Count the SQL statements the app's engine runs: ``counts[0]`` is the running total."""
    from app.extensions import db

    counts = [0]

    def before(*_args: Any) -> None:
        counts[0] += 1

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        yield counts
    finally:
        event.remove(engine, "before_cursor_execute", before)


def timed(app: Any, repeat: int, prepare: Callable[[int], Callable[[], None]]) -> Result:
    """Time ``repeat`` requests (after 3 warm-up ones): ``prepare(n)`` does any untimed work
    and returns the call that sends request n and checks its answer."""
    for n in range(3):
        prepare(-1 - n)()
    timings, statements = [], []
    with counting(app) as counts:
        for n in range(repeat):
            send = prepare(n)
            before = counts[0]
            started = time.perf_counter()
            send()
            timings.append((time.perf_counter() - started) * 1000)
            statements.append(counts[0] - before)
    timings.sort()
    return (
        statistics.median(timings),
        timings[int(len(timings) * 0.95) - 1],
        statistics.median(statements),
    )


def client_of(app: Any, user_id: int) -> Any:
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = f"{user_id}:1"  # Flask-Login's id: the account and its generation
        session["_fresh"] = True
    return client


def measure(app: Any, user_id: int, urls: list[str], repeat: int) -> Result:
    client = client_of(app, user_id)

    def prepare(n: int) -> Callable[[], None]:
        url = urls[n % len(urls)]

        def send() -> None:
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)

        return send

    return timed(app, repeat, prepare)


def next_link(app: Any, user_id: int, page: int) -> str:
    """The "next" link of the queue's page ``page`` (everything, newest first): the keyset of
    its last row, as an agent paging on reaches the page after it (read here from the table:
    a page that deep is not read by its number, see ``app.tickets.paging.OFFSET_CAP``)."""
    from sqlalchemy import select

    from app.extensions import db
    from app.tickets.models import Ticket
    from app.tickets.paging import encode_keys

    with app.app_context():  # the columns' own types: the opened time with its zone
        last = db.session.execute(
            select(Ticket.opened_at, Ticket.id)
            .where(Ticket.kind.in_(["incident", "catalog_task"]))
            .order_by(Ticket.opened_at.desc(), Ticket.id.desc())
            .offset(page * 25 - 1)
            .limit(1)
        ).one()
    after = quote(encode_keys(list(last)))
    url = f"/incidents/?view=all&sort=opened&direction=desc&page={page + 1}&after={after}"
    body = client_of(app, user_id).get(url).get_data(as_text=True)
    assert len(re.findall(r">INC\d+<", body)) == 25, "the keyset link shows no page"
    return url


def measure_posts(
    app: Any, user_id: int, url: str, fields: Callable[[int], dict[str, str]], repeat: int
) -> Result:
    """Post the form at ``url`` (its tokens read from the page first, untimed); each post must
    redirect to the new incident."""
    client = client_of(app, user_id)

    def prepare(n: int) -> Callable[[], None]:
        form = dict(TOKENS.findall(client.get(url).get_data(as_text=True)))
        form.update(fields(n))

        def send() -> None:
            response = client.post(url, data=form)
            response.close()  # as a server does: the outbox's jobs go to Redis after the answer
            assert response.status_code == 302, (url, response.status_code)
            assert "/incidents/INC" in response.location, response.location

        return send

    return timed(app, repeat, prepare)


@contextmanager
def throwaway_redis() -> Iterator[str | None]:
    """A ``redis-server`` of this run's own on a free port (None when none is installed)."""
    binary = shutil.which("redis-server")
    if binary is None:
        yield None
        return
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with tempfile.TemporaryDirectory() as folder:
        server = subprocess.Popen(  # noqa: S603
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", folder],
            stdout=subprocess.DEVNULL,
        )
        try:
            time.sleep(0.5)
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            server.kill()
            server.wait()


def measure_opening(app: Any, agent: int, group: int, caller: int, repeat: int) -> dict:
    """An agent logs a call into ``group``; the employee ``caller`` reports a problem."""

    def call(n: int) -> dict[str, str]:
        blank = "description assignee category subcategory affected_service cis"
        return {
            **dict.fromkeys(blank.split() + ["resolution_code", "resolution_notes"], ""),
            "caller": f"user{1 + n % 5_000:05d}",
            "channel": "phone",
            "short_description": f"Printer on floor {n % 7} jams",
            "impact": "2",
            "urgency": "2",
            "group": str(group),
        }

    def report(n: int) -> dict[str, str]:
        return {"short_description": f"Teams crashes when sharing ({n})", "urgency": "2"}

    results = {}
    with throwaway_redis() as redis_url:
        for outbox, url in (("outbox inline", None), ("outbox on RQ", redis_url)):
            if outbox == "outbox on RQ" and url is None:
                continue
            app.config["REDIS_URL"] = url
            results[f"open: an agent logs a call ({outbox})"] = measure_posts(
                app, agent, "/incidents/new", call, repeat
            )
            results[f"open: an employee reports a problem ({outbox})"] = measure_posts(
                app, caller, "/incidents/report", report, repeat
            )
    app.config["REDIS_URL"] = None
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument("--entries-per", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=100, help="0: seed only, time nothing")
    parser.add_argument("--schema", default="dg_bench_incidents")
    parser.add_argument("--no-write", action="store_true", help="do not update the docs")
    parser.add_argument("--keep", action="store_true", help="keep the schema for inspection")
    parser.add_argument("--reuse", action="store_true", help="time a schema kept by --keep")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from flask_migrate import upgrade

    from app.extensions import db
    from app.tickets.paging import OFFSET_CAP

    rng = random.Random(7)
    started = time.perf_counter()
    if args.reuse:
        app = app_on_schema(args.schema)
        people = {"agents": list(range(10_001, 10_235)), "callers": list(range(1, 5_001))}
    else:
        app = app_on_fresh_schema(args.schema)
        with app.app_context():
            upgrade()
            people = seed(db, incidents=args.incidents, entries_per=args.entries_per, rng=rng)
        vacuum_analyze(args.schema)  # a settled database, as autovacuum would leave it
    with app.app_context():
        counts = db.session.execute(
            text("SELECT (SELECT count(*) FROM tickets), (SELECT count(*) FROM journal_entries)")
        ).one()
        busiest = (
            db.session.execute(
                text(
                    "SELECT caller_id FROM tickets GROUP BY caller_id "
                    "ORDER BY count(*) DESC LIMIT 20"
                )
            )
            .scalars()
            .all()
        )
    seeded = time.perf_counter() - started
    what = "reused" if args.reuse else "seeded"
    summary = f"{counts[0]:,} tickets, {counts[1]:,} journal entries; {what} in {seeded:.0f} s"
    if args.repeat == 0:  # seed only (with --keep: for later --reuse runs)
        print(f"{summary}; load average {uptime()}")
        with app.app_context():
            db.engine.dispose()
        if not args.keep:
            drop_schema(args.schema)
        return
    agent = people["agents"][0]
    numbers = [f"INC{1000 + rng.randint(1, args.incidents):07d}" for _ in range(args.repeat)]
    deep = max(1, args.incidents // 25 // 2)
    numbered = min(deep, OFFSET_CAP // 25)  # the deepest page read by its number
    load_before = uptime()
    everything = "/incidents/?view=all&sort=opened&direction=desc"
    results = {
        "queue, open, P2, by priority (page 1)": measure(
            app, agent, ["/incidents/?view=open&priority=2&sort=priority"], args.repeat
        ),
        "queue, my group's unassigned": measure(
            app, agent, ["/incidents/?view=unassigned&sort=opened&direction=desc"], args.repeat
        ),
        f"queue, everything, by opened (page {numbered}, by its number)": measure(
            app, agent, [f"{everything}&page={numbered}"], args.repeat
        ),
    }
    if deep > numbered:  # typed, it says how to get there instead
        results[f"queue, everything, by opened (page {deep}, by its number: not read)"] = measure(
            app, agent, [f"{everything}&page={deep}"], args.repeat
        )
    results[f'queue, everything, by opened (page {deep}, by "next")'] = measure(
        app, agent, [next_link(app, agent, deep - 1)], args.repeat
    )
    results["incident page"] = measure(
        app, agent, [f"/incidents/{n}" for n in numbers], args.repeat
    )
    for caller in busiest[:1]:
        results["employee's my tickets"] = measure(app, caller, ["/incidents/mine"], args.repeat)
        results.update(measure_opening(app, agent, 1, caller, args.repeat))
    report = [
        f"{name}: median {med:.1f} ms, p95 {p95:.1f} ms, {statements:.0f} statements"
        for name, (med, p95, statements) in results.items()
    ]
    report.append(f"load average before / after: {load_before} / {uptime()}")
    print(summary)
    print("\n".join(report))
    with app.app_context():
        db.engine.dispose()
    if not args.keep:
        drop_schema(args.schema)
    if not args.no_write:
        write_docs(summary, report, args)


def uptime() -> str:
    """The 1, 5 and 15 minute load averages."""
    with open("/proc/loadavg") as loadavg:
        return " ".join(loadavg.read().split()[:3])


def write_docs(summary: str, report: list[str], args: argparse.Namespace) -> None:
    path = ROOT / "docs" / "benchmarks.md"
    text_ = path.read_text() if path.exists() else "# Benchmarks\n"
    marker = "## Incidents at scale (`bench/incidents.py`)"
    head = text_.split(marker)[0].rstrip() + "\n\n"
    tail = ""
    if marker in text_:
        rest = text_.split(marker, 1)[1]
        tail = rest[rest.find("\n## ") :] if "\n## " in rest else ""
    section = "\n".join(
        [
            marker,
            "",
            "Command, from the repository root with the virtualenv active and PostgreSQL running:",
            "",
            "```sh",
            f"python -m bench.incidents --incidents {args.incidents} --entries-per "
            f"{args.entries_per} --repeat {args.repeat}",
            "```",
            "",
            f"Run on {datetime.now(UTC):%Y-%m-%d} on the 2-core dev box. {summary}. Server time "
            "per request, measured in-process through the WSGI app (routing, queries, rendering; "
            "no network), and the SQL statements each request runs (its median). Targets: p95 "
            "under 50 ms; the incident page and opening an incident under 8 ms.",
            "",
            "```text",
            *report,
            "```",
            "",
        ]
    )
    path.write_text(head + section + tail.lstrip("\n"))


if __name__ == "__main__":
    main()
