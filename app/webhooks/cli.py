"""``flask webhooks purge``: forget old deliveries of the log (``flask deskgraph purge`` runs
the same purge with every other one)."""

from __future__ import annotations

from datetime import timedelta

import click
from flask import current_app
from flask.cli import AppGroup

from app.extensions import db
from app.timeutils import utc_now
from app.webhooks.services import purge_deliveries

webhooks_cli = AppGroup("webhooks", help="Outgoing webhooks: housekeeping.")


@webhooks_cli.command("purge")
@click.option(
    "--days",
    type=click.IntRange(min=1),
    default=None,
    help="Keep this many days (default: DESKGRAPH_PURGE_WEBHOOK_DELIVERIES_DAYS, 30).",
)
@click.option("--dry-run", is_flag=True, help="Count what would go; change nothing.")
def purge_command(days: int | None, dry_run: bool) -> None:
    """Delete the deliveries older than the retention that were sent or given up; pending and
    failed ones stay until the outbox is done with them."""
    keep = days or int(current_app.config["PURGE_WEBHOOK_DELIVERIES_DAYS"])
    count = purge_deliveries(utc_now() - timedelta(days=keep))
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    verb = "would be purged" if dry_run else "purged"
    click.echo(f"{count} webhook deliveries older than {keep} days {verb}")
