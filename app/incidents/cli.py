"""``flask incidents ...``: scheduled jobs for incidents."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from app.extensions import db
from app.incidents import services
from app.timeutils import utc_now

incidents_cli = AppGroup("incidents", help="Incident jobs.")


@incidents_cli.command("auto-close")
def auto_close() -> None:
    """Close incidents resolved longer ago than the reopen window (run it from cron)."""
    closed = services.close_resolved_incidents(
        utc_now(), services.reopen_window(current_app.config)
    )
    db.session.commit()
    click.echo(
        f"{len(closed)} resolved incident(s) closed" + (f": {', '.join(closed)}" if closed else ".")
    )
