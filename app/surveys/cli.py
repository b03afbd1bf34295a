"""``flask surveys send``: send the surveys whose delay has passed (run it from cron)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.extensions import db

surveys_cli = AppGroup("surveys", help="Satisfaction surveys.")


@surveys_cli.command("send")
def send() -> None:
    """Ask the callers whose surveys are due (after the delay the admins set)."""
    from app.surveys import services

    numbers = services.send_due()
    db.session.commit()
    click.echo(f"{len(numbers)} survey(s) sent" + (f": {', '.join(numbers)}" if numbers else "."))
