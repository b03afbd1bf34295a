"""Notifying 500 watchers: what one public reply adds to the request, and the fan-out after it.

On PostgreSQL (a schema of its own in the ``test`` database): an incident with a caller, an
assignee and 500 watchers (each with an address). The request's part is the reply through
``incidents.services.comment`` and its commit, with ``REDIS_URL`` set as in production (the
outbox hands the message to RQ, here on Redis database 14, emptied after): timed with the
notification hook installed and with it removed, alternately, the difference of the medians
being what notifications add.
Then the fan-out handler for one such reply (501 rows, 501 mails rendered) and its commit.
Prints medians and p95; the lead copies them into docs/benchmarks.md.

    python -m bench.notification_fanout
    python -m bench.notification_fanout --watchers 2000 --repeat 50
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, datetime

from sqlalchemy import insert, select

from bench._postgres import ROOT, app_on_fresh_schema, drop_schema, vacuum_analyze

REDIS = "redis://127.0.0.1:6379/14"


def seed(db, watchers: int):
    from app.auth.models import GrantSource, Role, RoleGrant, User
    from app.incidents import services
    from app.tickets.models import ticket_watchers

    now = datetime.now(UTC)
    rows = [
        {
            "id": i,
            "username": f"person{i:05d}",
            "display_name": f"Person {i}",
            "email": f"person{i:05d}@example.org",
            "source": "local",
            "is_active": True,
            "version": 1,
            "created_at": now,
            "updated_at": now,
        }
        for i in range(1, watchers + 3)
    ]
    db.session.execute(insert(User.__table__), rows)
    grants = [{"user_id": r["id"], "role": Role.EMPLOYEE.value} for r in rows]
    grants.append({"user_id": 1, "role": Role.AGENT.value})  # person 1 is the agent
    db.session.execute(
        insert(RoleGrant.__table__),
        [{**g, "source": GrantSource.LOCAL.value, "granted_at": now} for g in grants],
    )
    db.session.commit()
    agent, caller = db.session.get(User, 1), db.session.get(User, 2)
    incident = services.open_incident(
        caller=caller, opened_by=caller, short_description="Everyone's printer jams"
    )
    db.session.flush()
    db.session.execute(
        insert(ticket_watchers),
        [{"ticket_id": incident.id, "user_id": i} for i in range(3, watchers + 3)],
    )
    db.session.commit()
    return incident.id, agent.id


def reply_ms(db, incident_id: int, agent_id: int, n: int) -> float:
    from app.auth.models import User
    from app.incidents import services
    from app.incidents.models import Incident

    db.session.expunge_all()
    incident, agent = db.session.get(Incident, incident_id), db.session.get(User, agent_id)
    started = time.perf_counter()
    services.comment(incident, author=agent, body=f"Update {n}: on our way.", public=True)
    db.session.commit()
    return (time.perf_counter() - started) * 1000


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 20 else max(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--watchers", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--schema", default="dg_bench_notify")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from flask_migrate import upgrade
    from redis import Redis
    from rq import Queue

    from app.extensions import db
    from app.notifications import hooks
    from app.notifications.models import Notification
    from app.notifications.services import fan_out
    from app.outbox import services as outbox
    from app.outbox.models import OutboxMessage

    app = app_on_fresh_schema(args.schema)
    app.config["REDIS_URL"] = REDIS  # the production path: the message goes to RQ
    queue = Queue("outbox", connection=Redis.from_url(REDIS))
    try:
        with app.app_context():
            upgrade()
            incident_id, agent_id = seed(db, args.watchers)
        vacuum_analyze(args.schema)
        with app.app_context():
            for n in range(3):  # warm up
                reply_ms(db, incident_id, agent_id, n)
            with_hook, without = [], []
            for n in range(args.repeat):  # interleaved, so that the machine's load hits both
                with_hook.append(reply_ms(db, incident_id, agent_id, n))
                hooks.HOOK.uninstall()
                without.append(reply_ms(db, incident_id, agent_id, n))
                hooks.install()
                outbox.reinstall()  # the writer after the hook, as in the app
            reply_ms(db, incident_id, agent_id, -1)
            message = db.session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.kind == hooks.FAN_OUT)
                .order_by(OutboxMessage.id.desc())
            ).first()
            assert message is not None
            events = message.payload["events"]
            db.session.expunge_all()
            started = time.perf_counter()
            created = fan_out(events)
            db.session.commit()
            fan_ms = (time.perf_counter() - started) * 1000
            rows = db.session.query(Notification).filter(Notification.event_id.in_(events)).count()
        added = statistics.median(with_hook) - statistics.median(without)
        print(f"{args.watchers} watchers, {args.repeat} replies each way (PostgreSQL, RQ on Redis)")
        print(
            f"reply + commit with notifications: median {statistics.median(with_hook):.1f} ms, "
            f"p95 {p95(with_hook):.1f} ms"
        )
        print(
            f"reply + commit without:            median {statistics.median(without):.1f} ms, "
            f"p95 {p95(without):.1f} ms"
        )
        print(f"added to the request (median difference): {added:.1f} ms (target < 20 ms)")
        print(
            f"fan-out of one reply: {len(created)} notifications ({rows} rows) in {fan_ms:.0f} ms"
        )
    finally:
        queue.empty()
        drop_schema(args.schema)


if __name__ == "__main__":
    main()
