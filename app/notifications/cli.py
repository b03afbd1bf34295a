"""``flask notifications digest``: the daily digest of group notifications."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.extensions import db
from app.notifications.digest import send_digests

notifications_cli = AppGroup("notifications", help="Notifications: the daily digest.")


@notifications_cli.command("digest")
def digest() -> None:
    """Mail each person who chose the daily digest the group notifications not yet mailed.
    Run it once a day from cron (e.g. ``0 7 * * * flask notifications digest``); running it
    again the same day sends nothing more."""
    sent = send_digests()
    db.session.commit()
    click.echo(f"{sent} digest(s) sent.")
