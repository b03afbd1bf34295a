"""``flask outbox ...``: deliver what is due, once or polling; or run the RQ worker."""

from __future__ import annotations

import time

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, select

from app.extensions import db
from app.outbox.models import OutboxMessage, OutboxState
from app.outbox.services import QUEUE, deliver_due

outbox_cli = AppGroup("outbox", help="Side effects run after commit (directory changes, mail).")


@outbox_cli.command("run")
@click.option("--once", is_flag=True, help="Deliver what is due now, then stop.")
@click.option("--interval", default=10, show_default=True, type=click.IntRange(1))
def run(once: bool, interval: int) -> None:
    """Deliver pending messages that are due (retries, and any whose RQ job was lost); with
    --once drain them and stop, otherwise poll every INTERVAL seconds until stopped."""
    while True:
        delivered = 0
        while batch := deliver_due():
            delivered += batch
        if once:
            counts = dict(
                db.session.execute(
                    select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)
                ).all()
            )
            db.session.rollback()
            click.echo(
                f"{delivered} message(s) delivered; "
                f"{counts.get(OutboxState.PENDING, 0)} pending, "
                f"{counts.get(OutboxState.DEAD, 0)} dead."
            )
            return
        db.session.remove()
        time.sleep(interval)


@outbox_cli.command("worker")
@click.option("--burst", is_flag=True, help="Run the queued deliveries, then stop.")
def worker(burst: bool) -> None:
    """Run the deliveries queued on Redis after each commit (needs REDIS_URL)."""
    from redis import Redis
    from rq import Worker

    url = current_app.config.get("REDIS_URL")
    if not url:
        raise click.ClickException("REDIS_URL is not set: messages are delivered inline.")
    Worker([QUEUE], connection=Redis.from_url(url)).work(burst=burst)
