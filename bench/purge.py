"""The daily purge over a desk that never purged: how long ``flask deskgraph purge`` takes.

On PostgreSQL (a schema of its own in the ``test`` database, migrated): ``--rows`` delivered
outbox messages, used form tokens and ignored inbound messages (10 KiB of bytes each), half of
each older than the settings keep, the other half recent. Times :func:`app.cli.purge` and its
commit (one transaction for all), then the same again with nothing left to purge (the daily
run afterwards). Prints the counts and times; the lead copies them into docs/benchmarks.md.

    python -m bench.purge
    python -m bench.purge --rows 500000
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert

from bench._postgres import ROOT, app_on_fresh_schema, drop_schema, vacuum_analyze

BATCH = 10_000
RAW = b"From: someone@example.com\r\nSubject: Out of office\r\n\r\n" + b"x" * 10_240


def seed(db, rows: int) -> None:
    from app.mail.incoming.models import InboundMessage
    from app.outbox.models import OutboxMessage
    from app.submissions import FormSubmission

    now = datetime.now(UTC)
    for start in range(0, rows, BATCH):
        chunk = range(start, min(start + BATCH, rows))
        when = [now - timedelta(days=200 if i % 2 else 1) for i in chunk]
        db.session.execute(
            insert(OutboxMessage.__table__),
            [
                {
                    "kind": "mail.send",
                    "payload": {"id": i},
                    "state": "done",
                    "attempts": 1,
                    "next_attempt_at": at,
                    "created_at": at,
                    "updated_at": at,
                }
                for i, at in zip(chunk, when, strict=True)
            ],  # fmt: skip
        )
        db.session.execute(
            insert(FormSubmission.__table__),
            [{"token": f"{i:032x}", "created_at": at} for i, at in zip(chunk, when, strict=True)],
        )
        db.session.execute(
            insert(InboundMessage.__table__),
            [
                {
                    "message_id": f"<{i}@bench.example.com>",
                    "from_address": "a@example.com",
                    "subject": "Out of office",
                    "received_at": at,
                    "state": "ignored",
                    "reason": "automated",
                    "size": len(RAW),
                    "raw": RAW,
                }
                for i, at in zip(chunk, when, strict=True)
            ],  # fmt: skip
        )
        db.session.commit()


def timed_purge(app, db) -> tuple[list[tuple[str, int]], float]:
    from app.cli import purge

    started = time.perf_counter()
    counts = purge(datetime.now(UTC), app.config)
    db.session.commit()
    return counts, (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--schema", default="dg_bench_purge")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from flask_migrate import upgrade

    from app.extensions import db

    app = app_on_fresh_schema(args.schema)
    try:
        with app.app_context():
            upgrade()
            seed(db, args.rows)
        vacuum_analyze(args.schema)
        with app.app_context():
            counts, first_ms = timed_purge(app, db)
            _, again_ms = timed_purge(app, db)
        print(f"{args.rows} rows each of outbox messages, form tokens, ignored mails (PostgreSQL)")
        print("; ".join(f"{count} {what}" for what, count in counts))
        print(f"first purge + commit: {first_ms:.0f} ms")
        print(f"next day's purge (nothing to do) + commit: {again_ms:.0f} ms")
    finally:
        drop_schema(args.schema)


if __name__ == "__main__":
    main()
