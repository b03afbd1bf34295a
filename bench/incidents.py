"""Incident pages at scale: 100,000 incidents and 1,000,000 journal entries on PostgreSQL.

Seeds a schema of its own in the ``test`` database with bulk inserts (cardinalities after the
UCI ServiceNow event log: 78 groups, 234 agents, 5,000 callers), then times the agent queue
(filtered and sorted, page 1 and a deep page), the incident page and the employee's "my
tickets" through the WSGI app in-process (server time: routing, queries, rendering), and
writes the medians and p95 to docs/benchmarks.md.

    python -m bench.incidents                    # full size
    python -m bench.incidents --incidents 20000  # quicker
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, text

from bench._postgres import ROOT, app_on_fresh_schema, drop_schema, vacuum_analyze

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


def _batches(rows, size=10_000):
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def seed(db, *, incidents: int, entries_per: int, rng: random.Random) -> dict:
    from app.auth.models import GrantSource, Group, Role, RoleGrant, User, group_members
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
    for rows in _batches(users + agents):
        db.session.execute(insert(User.__table__), rows)
    db.session.execute(
        insert(RoleGrant.__table__),
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
    db.session.execute(insert(Group.__table__), groups)
    membership = {(a["id"], 1 + (a["id"] + k * 7) % 78) for a in agents for k in range(3)}
    db.session.execute(
        insert(group_members), [{"user_id": u, "group_id": g} for u, g in membership]
    )
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
    db.session.execute(
        insert(NumberCounter.__table__), [{"prefix": "INC", "last_value": 1000 + incidents}]
    )
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
    for rows in _batches(tickets):
        db.session.execute(insert(Ticket.__table__), rows)
    for rows in _batches(details):
        db.session.execute(insert(Incident.__table__), rows)
    for rows in _batches(journal, 25_000):
        db.session.execute(insert(JournalEntry.__table__), rows)
    db.session.commit()
    print(f"  … {tickets[-1]['id'] if tickets else '?'} incidents", file=sys.stderr, flush=True)


def measure(app, user_id: int, urls: list[str], repeat: int) -> tuple[float, float]:
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = str(user_id)
        session["_fresh"] = True
    for url in urls[:3]:  # warm-up
        client.get(url)
    timings = []
    for n in range(repeat):
        url = urls[n % len(urls)]
        started = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    timings.sort()
    return statistics.median(timings), timings[int(len(timings) * 0.95) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument("--entries-per", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=100)
    parser.add_argument("--schema", default="dg_bench_incidents")
    parser.add_argument("--no-write", action="store_true", help="do not update the docs")
    parser.add_argument("--keep", action="store_true", help="keep the schema for inspection")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from flask_migrate import upgrade

    from app.extensions import db

    app = app_on_fresh_schema(args.schema)
    rng = random.Random(7)
    started = time.perf_counter()
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
    agent = people["agents"][0]
    numbers = [f"INC{1000 + rng.randint(1, args.incidents):07d}" for _ in range(args.repeat)]
    deep = max(1, args.incidents // 25 // 2)
    results = {
        "queue, open, P2, by priority (page 1)": measure(
            app, agent, ["/incidents/?view=open&priority=2&sort=priority"], args.repeat
        ),
        "queue, my group's unassigned": measure(
            app, agent, ["/incidents/?view=unassigned&sort=opened&direction=desc"], args.repeat
        ),
        f"queue, everything, by opened (page {deep})": measure(
            app,
            agent,
            [f"/incidents/?view=all&sort=opened&direction=desc&page={deep}"],
            args.repeat,
        ),
        "incident page": measure(app, agent, [f"/incidents/{n}" for n in numbers], args.repeat),
    }
    for caller in busiest[:1]:
        results["employee's my tickets"] = measure(app, caller, ["/incidents/mine"], args.repeat)
    report = [
        f"{name}: median {med:.1f} ms, p95 {p95:.1f} ms" for name, (med, p95) in results.items()
    ]
    summary = f"{counts[0]:,} incidents, {counts[1]:,} journal entries; seeded in {seeded:.0f} s"
    print(summary)
    print("\n".join(report))
    with app.app_context():
        db.engine.dispose()
    if not args.keep:
        drop_schema(args.schema)
    if not args.no_write:
        write_docs(summary, report, args)


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
            "no network). Target: p95 under 50 ms.",
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
