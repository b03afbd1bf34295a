"""Webhooks: what the hook adds to a request that records a ticket event, the fan-out of one
event to many subscriptions, and one delivery to a receiver on loopback.

On PostgreSQL (a schema of its own in the ``test`` database), with ``REDIS_URL`` set as in
production (the outbox hands its messages to RQ, here on Redis database 14, emptied after):
a public reply through ``incidents.services.comment`` and its commit, timed with the webhook
hook installed and with it removed, alternately (with ``--subscriptions`` subscriptions, so
the hook queues a fan-out each time). Then ``fan_out`` of one event (a delivery row and an
outbox message per subscription) and its commit, and ``deliver`` of each delivery: the signed
POST to a threaded ``http.server`` on 127.0.0.1 and the commit of its log line.

    python -m bench.webhooks
    python -m bench.webhooks --subscriptions 100 --repeat 50
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

from sqlalchemy import select

from bench._postgres import ROOT, app_on_fresh_schema, drop_schema, vacuum_analyze

REDIS = "redis://127.0.0.1:6379/14"


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 20 else max(values)


def line(label: str, values: list[float]) -> str:
    return f"{label}: median {statistics.median(values):.1f} ms, p95 {p95(values):.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscriptions", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--schema", default="dg_bench_webhooks")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from flask_migrate import upgrade
    from redis import Redis
    from rq import Queue

    from app.auth import services as people
    from app.auth.models import Role, User
    from app.extensions import db
    from app.incidents import services as incidents
    from app.incidents.models import Incident
    from app.outbox import deliver
    from app.outbox import services as outbox
    from app.outbox.models import OutboxMessage
    from app.webhooks import hooks
    from app.webhooks import services as webhooks
    from app.webhooks.services import DELIVER, FAN_OUT
    from tests.webhooks.receiver import Receiver

    app = app_on_fresh_schema(args.schema)
    app.config["REDIS_URL"] = REDIS
    queue = Queue("outbox", connection=Redis.from_url(REDIS))
    receiver = Receiver()
    try:
        with app.app_context():
            upgrade()
            agent = people.create_local_user(
                username="agent", password=None, roles=[Role.AGENT], display_name="Agent"
            )
            caller = people.create_local_user(username="kim", password=None, display_name="Kim")
            for n in range(args.subscriptions):
                webhooks.create_subscription(
                    actor=agent,
                    name=f"Receiver {n}",
                    url=f"{receiver.url}?n={n}",
                    event_types=[],
                    ticket_kinds=[],
                    group_ids=[],
                    service_ids=[],
                )
            incident = incidents.open_incident(
                caller=caller, opened_by=caller, short_description="Printer jams"
            )
            db.session.commit()
            ids = incident.id, agent.id
        vacuum_analyze(args.schema)

        def reply_ms(n: int) -> float:
            db.session.expunge_all()
            ticket, author = db.session.get(Incident, ids[0]), db.session.get(User, ids[1])
            started = time.perf_counter()
            incidents.comment(ticket, author=author, body=f"Update {n}", public=True)
            db.session.commit()
            return (time.perf_counter() - started) * 1000

        with app.app_context():
            for n in range(3):
                reply_ms(n)
            with_hook, without = [], []
            for n in range(args.repeat):  # interleaved, so that the machine's load hits both
                with_hook.append(reply_ms(n))
                hooks.HOOK.uninstall()
                without.append(reply_ms(n))
                hooks.install()
                outbox.reinstall()  # the writer after the hook, as in the app
            message = db.session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.kind == FAN_OUT)
                .order_by(OutboxMessage.id.desc())
            ).first()
            assert message is not None
            db.session.expunge_all()
            started = time.perf_counter()
            created = webhooks.fan_out(message.payload["events"])
            db.session.commit()
            fan_ms = (time.perf_counter() - started) * 1000
            pending = list(
                db.session.scalars(
                    select(OutboxMessage.id)
                    .where(OutboxMessage.kind == DELIVER)
                    .order_by(OutboxMessage.id.desc())
                    .limit(len(created))
                )
            )
            db.session.rollback()
            posts = []
            for message_id in pending:
                started = time.perf_counter()
                assert deliver(message_id)
                posts.append((time.perf_counter() - started) * 1000)
        added = statistics.median(with_hook) - statistics.median(without)
        print(f"{args.subscriptions} subscriptions, {args.repeat} replies each way")
        print(line("reply + commit with the webhook hook", with_hook))
        print(line("reply + commit without it          ", without))
        print(f"added to the request (median difference): {added:.1f} ms")
        print(f"fan-out of one event: {len(created)} deliveries queued in {fan_ms:.0f} ms")
        print(line(f"one delivery ({len(posts)} timed, POST + log commit)", posts))
        print(f"receiver got {len(receiver.received)} requests")
    finally:
        receiver.close()
        queue.empty()
        drop_schema(args.schema)


if __name__ == "__main__":
    main()
