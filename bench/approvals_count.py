"""The count beside "My approvals" at scale: it runs on every page a person who may order sees.

Seeds a PostgreSQL schema of its own in the ``test`` database with bulk inserts: 5,000 people,
``--items`` requested items (one per request) with one to three approvers each over two levels,
most of them decided long ago and ``--waiting`` of them still waiting, one busy approver asked
on 2 % of the items, and 300 running delegations. Then times ``waiting_count`` (the navigation's
query) in-process for the busy approver, a delegate of theirs, a typical approver and someone
asked nothing, and prints the medians and p95 (the lead copies them into docs/benchmarks.md).

    python -m bench.approvals_count                  # 100,000 items
    python -m bench.approvals_count --items 20000    # quicker
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
from bench._report import Report

PEOPLE = 5_000
BUSY = 1  # the approver asked on 2 % of the items
DELEGATE = 2  # the busy approver's delegate
NOBODY = PEOPLE + 1  # asked nothing, a delegate of nobody


def _batches(rows: list[dict], size: int = 10_000):
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def seed(db, *, items: int, waiting: float, rng: random.Random) -> None:
    from app.auth.models import User
    from app.requests.models import (
        Approval,
        ApprovalDelegation,
        CatalogItem,
        FormVersion,
        RequestItem,
        ServiceRequest,
    )
    from app.tickets.models import Ticket

    now = datetime.now(UTC)
    db.session.execute(
        insert(User.__table__),
        [
            {
                "id": i,
                "username": f"user{i:05d}",
                "display_name": f"Person {i}",
                "source": "local",
                "is_active": True,
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
            for i in range(1, NOBODY + 1)
        ],
    )
    db.session.execute(
        text(
            "INSERT INTO groups (id, name, is_assignment_group, source, version, created_at, "
            "updated_at) VALUES (1, 'Service Desk', true, 'local', 1, now(), now())"
        )
    )
    db.session.execute(
        insert(CatalogItem.__table__),
        [
            {
                "id": 1,
                "name": "Laptop",
                "short_description": "A laptop",
                "fulfilment_group_id": 1,
                "is_active": True,
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
        ],
    )
    db.session.execute(
        insert(FormVersion.__table__),
        [{"id": 1, "item_id": 1, "number": 1, "variables": [], "created_at": now}],
    )
    tickets, requests, details, approvals = [], [], [], []
    for n in range(items):
        req_id, item_id = 2 * n + 1, 2 * n + 2
        caller = rng.randint(DELEGATE + 1, PEOPLE)
        opened = now - timedelta(minutes=rng.uniform(10, 60 * 24 * 730))
        pending = rng.random() < waiting
        state = "pending_approval" if pending else rng.choice(["in_progress", "closed", "closed"])
        for ticket_id, kind, prefix in (
            (req_id, "request", "REQ"),
            (item_id, "request_item", "RITM"),
        ):
            tickets.append(
                {
                    "id": ticket_id,
                    "kind": kind,
                    "number": f"{prefix}{1_000_000 + n:07d}",
                    "short_description": "Laptop",
                    "description": "",
                    "state": state,
                    "channel": "portal",
                    "caller_id": caller,
                    "opened_by_id": caller,
                    "impact": 3,
                    "urgency": 3,
                    "priority": 5,
                    "opened_at": opened,
                    "reassignment_count": 0,
                    "reopen_count": 0,
                    "version": 1,
                    "created_at": opened,
                    "updated_at": opened,
                }
            )
        requests.append({"id": req_id})
        levels = rng.choice([1, 1, 2])
        current = levels - 1 if pending else None
        details.append(
            {
                "id": item_id,
                "request_id": req_id,
                "catalog_item_id": 1,
                "form_version_id": 1,
                "answers": {},
                "approval_plan": [{"kind": "manager"}] * levels,
                "task_plan": [],
                "approval_state": "requested" if pending else "approved",
                "approval_level": current,
            }
        )
        for level in range(levels):
            approvers = {rng.randint(DELEGATE + 1, PEOPLE) for _ in range(rng.choice([1, 1, 3]))}
            if rng.random() < 0.02:
                approvers.add(BUSY)
            approvers.discard(caller)
            open_ = pending and level == current
            for approver in approvers:
                approvals.append(
                    {
                        "item_id": item_id,
                        "level": level,
                        "approver_id": approver,
                        "rule": "anyone",
                        "state": "requested" if open_ else "approved",
                        "requested_at": opened,
                        "decided_at": None if open_ else opened + timedelta(hours=3),
                        "decided_by_id": None if open_ else approver,
                        "reminders_sent": 0,
                        "version": 1,
                    }
                )
    for table, rows in (
        (Ticket.__table__, tickets),
        (ServiceRequest.__table__, requests),
        (RequestItem.__table__, details),
        (Approval.__table__, approvals),
    ):
        for batch in _batches(rows):
            db.session.execute(insert(table), batch)
    delegators = rng.sample(range(DELEGATE + 1, PEOPLE), 299) + [BUSY]
    db.session.execute(
        insert(ApprovalDelegation.__table__),
        [
            {
                "delegator_id": d,
                "delegate_id": DELEGATE if d == BUSY else rng.randint(DELEGATE + 1, PEOPLE),
                "starts_at": now - timedelta(days=2),
                "ends_at": now + timedelta(days=5),
                "created_at": now,
            }
            for d in delegators
        ],
    )
    db.session.commit()


def explain(db, user_id: int) -> list[str]:
    """PostgreSQL's plan, with timings, of the statement ``waiting_count`` really sends."""
    from sqlalchemy import event

    from app.auth.models import User
    from app.requests.services import waiting_count

    sent: list[tuple[str, object]] = []

    def capture(conn, cursor, statement, parameters, context, executemany) -> None:
        if "count(" in statement:
            sent.append((statement, parameters))

    user = db.session.get(User, user_id)
    engine = db.engine
    event.listen(engine, "before_cursor_execute", capture)
    try:
        waiting_count(user)
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    statement, parameters = sent[-1]
    return list(
        db.session.connection()
        .exec_driver_sql(f"EXPLAIN (ANALYZE, COSTS OFF) {statement}", parameters)
        .scalars()
    )


def time_count(app, user_id: int, repeat: int) -> tuple[int, float, float]:
    from app.auth.models import User
    from app.extensions import db
    from app.requests.services import waiting_count

    with app.app_context():
        user = db.session.get(User, user_id)
        count = waiting_count(user)
        timings = []
        for _ in range(repeat):
            started = time.perf_counter()
            waiting_count(user)
            timings.append((time.perf_counter() - started) * 1000)
        db.session.remove()
    timings.sort()
    return count, statistics.median(timings), timings[int(len(timings) * 0.95) - 1]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--waiting", type=float, default=0.1, help="share of items waiting")
    parser.add_argument("--repeat", type=int, default=300)
    parser.add_argument("--schema", default="dg_bench_approvals")
    parser.add_argument("--keep", action="store_true", help="keep the schema for inspection")
    args = parser.parse_args(argv)
    report = Report("bench.approvals_count", "My approvals count at scale", argv)
    sys.path.insert(0, str(ROOT))
    from flask_migrate import upgrade

    from app.extensions import db

    app = app_on_fresh_schema(args.schema)
    started = time.perf_counter()
    with app.app_context():
        upgrade()
        seed(db, items=args.items, waiting=args.waiting, rng=random.Random(15))
    vacuum_analyze(args.schema)
    with app.app_context():
        approvals, typical = db.session.execute(
            text(
                "SELECT (SELECT count(*) FROM approvals), (SELECT approver_id FROM approvals "
                "WHERE state = 'requested' AND approver_id > 2 GROUP BY approver_id "
                "ORDER BY count(*) DESC LIMIT 1)"
            )
        ).one()
        plan = explain(db, BUSY)
    seeded = time.perf_counter() - started
    people = {
        "busy approver": BUSY,
        "their delegate": DELEGATE,
        "the most-asked other approver": typical,
        "asked nothing": NOBODY,
    }
    lines = []
    for name, user_id in people.items():
        count, median, p95 = time_count(app, user_id, args.repeat)
        lines.append(f"{name} ({count} waiting): median {median:.2f} ms, p95 {p95:.2f} ms")
    summary = (
        f"{args.items:,} requested items, {approvals:,} approvals, {args.waiting:.0%} waiting; "
        f"seeded in {seeded:.0f} s"
    )
    print(summary)
    print("\n".join(lines))
    print("plan (the busy approver):", *plan, sep="\n  ")
    with app.app_context():
        db.engine.dispose()
    if not args.keep:
        drop_schema(args.schema)
    path = ROOT / "instance" / "bench" / "approvals_count.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("")
    report.append(str(path), [summary, "", "```text", *lines, "", *plan, "```", ""])


if __name__ == "__main__":
    main()
