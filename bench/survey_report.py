"""The satisfaction report over many surveys, and what starting a survey adds to resolving.

On PostgreSQL (a schema of its own in the ``test`` database): ``--surveys`` resolved tickets
(100,000 by default) with their surveys, spread over 2,000 callers, 200 agents, 40 groups, 30
services and 25 categories, 80% sent and 60% of those answered, over the last 90 days. Times
the report page's figures (:func:`app.surveys.services.report`: one grouped statement) for the
last 30 and 90 days, and the latest answers. Then resolving one incident (change of state and
commit, the outbox handing messages to RQ on Redis database 14 as in production) with
the survey hook installed and removed, alternately.

    python -m bench.survey_report
    python -m bench.survey_report --surveys 300000 --repeat 30
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import event, insert

from bench._postgres import ROOT, app_on_fresh_schema, drop_schema, vacuum_analyze

REDIS = "redis://127.0.0.1:6379/14"


def seed(db, count: int) -> None:
    from app.auth.models import Group, User
    from app.surveys.models import Survey
    from app.tickets.models import Ticket

    rng = random.Random(16)
    now = datetime.now(UTC)
    people = [
        {
            "id": i,
            "username": f"person{i:05d}",
            "display_name": f"Person {i}",
            "source": "local",
            "is_active": True,
            "version": 1,
            "created_at": now,
            "updated_at": now,
        }
        for i in range(1, 2201)
    ]
    db.session.execute(insert(User.__table__), people)
    db.session.add_all(Group(id=g, name=f"Queue {g}", manager_id=g) for g in range(1, 41))
    db.session.flush()
    for start in range(0, count, 20_000):
        tickets, surveys = [], []
        for n in range(start, min(start + 20_000, count)):
            resolved = now - timedelta(minutes=rng.randrange(90 * 24 * 60))
            tickets.append(
                {
                    "id": n + 1,
                    "kind": "incident",
                    "number": f"BENCH{n + 1:09d}",
                    "short_description": f"Problem {n}",
                    "description": "",
                    "state": "closed",
                    "channel": "portal",
                    "caller_id": 201 + n % 2000,
                    "impact": 3,
                    "urgency": 3,
                    "priority": 5,
                    "opened_at": resolved - timedelta(hours=5),
                    "resolved_at": resolved,
                    "reassignment_count": 0,
                    "reopen_count": 0,
                    "version": 1,
                    "created_at": resolved,
                    "updated_at": resolved,
                }
            )
            sent = rng.random() < 0.8
            answered = sent and rng.random() < 0.6
            surveys.append(
                {
                    "ticket_id": n + 1,
                    "caller_id": 201 + n % 2000,
                    "sampled": sent,
                    "draw": rng.randrange(100),
                    "reason": "drawn" if sent else "not_drawn",
                    "created_at": resolved,
                    "due_at": resolved,
                    "sent_at": resolved if sent else None,
                    "score": rng.choice([1, 2, 3, 4, 4, 5, 5, 5]) if answered else None,
                    "comment": "Thanks" if answered else "",
                    "answered_at": resolved + timedelta(hours=2) if answered else None,
                    "updated_at": resolved + timedelta(hours=2) if answered else None,
                    "group_id": 1 + n % 40,
                    "agent_id": 1 + n % 200,
                    "service": f"Service {n % 30}",
                    "category": f"Category {n % 25}",
                    "version": 1,
                }
            )
        db.session.execute(insert(Ticket.__table__), tickets)
        db.session.execute(insert(Survey.__table__), surveys)
        db.session.commit()


def timed(action, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return times


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 20 else max(values)


def resolve_ms(db, caller_id: int, agent_id: int, n: int) -> float:
    from app.auth.models import User
    from app.incidents import services
    from app.incidents.workflow import State, Transition

    caller, agent = db.session.get(User, caller_id), db.session.get(User, agent_id)
    incident = services.open_incident(
        caller=caller, opened_by=caller, short_description=f"Bench {n}"
    )
    db.session.commit()
    started = time.perf_counter()
    change = Transition(State.RESOLVED, resolution_code="solved_permanently", resolution_notes=".")
    services.change_state(incident, change, actor=agent)
    db.session.commit()
    return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--surveys", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--schema", default="dg_bench_surveys")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from flask_migrate import upgrade
    from redis import Redis
    from rq import Queue
    from sqlalchemy import text

    from app.auth.models import Role, RoleGrant
    from app.extensions import db
    from app.surveys import hooks, services

    app = app_on_fresh_schema(args.schema)
    app.config["REDIS_URL"] = REDIS  # the production path: notifications go to RQ
    queue = Queue("outbox", connection=Redis.from_url(REDIS))
    try:
        with app.app_context():
            upgrade()
            seed(db, args.surveys)
            db.session.execute(
                text("SELECT setval('tickets_id_seq', (SELECT max(id) FROM tickets))")
            )
            db.session.add(RoleGrant(user_id=1, role=Role.AGENT, source="local"))
            db.session.commit()
        vacuum_analyze(args.schema)
        with app.app_context():
            services.report(90)  # warm up
            month = timed(lambda: services.report(30), args.repeat)
            quarter = timed(lambda: services.report(90), args.repeat)
            recent = timed(lambda: services.recent_answers(20), args.repeat)
            with_hook, without = [], []
            for n in range(args.repeat):
                with_hook.append(resolve_ms(db, 300, 1, n))
                event.remove(db.session, "before_flush", hooks._before_flush)
                without.append(resolve_ms(db, 300, 1, n))
                hooks.install()
        print(f"{args.surveys} surveys, {args.repeat} runs each (PostgreSQL)")
        for label, values in (
            ("report, last 30 days", month),
            ("report, last 90 days", quarter),
            ("latest 20 answers", recent),
            ("resolve + commit with surveys", with_hook),
            ("resolve + commit without", without),
        ):
            print(
                f"{label:31} median {statistics.median(values):7.1f} ms, p95 {p95(values):7.1f} ms"
            )
        added = statistics.median(with_hook) - statistics.median(without)
        print(f"added to a resolution (median difference): {added:.1f} ms")
    finally:
        queue.empty()
        drop_schema(args.schema)


if __name__ == "__main__":
    main()
