"""``flask notifications digest``: the daily digest of group notifications."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.extensions import db
from app.notifications.digest import send_digests
from app.ops.periodic import run_once

notifications_cli = AppGroup("notifications", help="Notifications: the daily digest.")


@notifications_cli.command("digest")
def digest() -> None:
    """Mail each person who chose the daily digest the group notifications not yet mailed.
    Run it once a day from cron (e.g. ``0 7 * * * flask notifications digest``); running it
    again the same day sends nothing more."""

    def send() -> int:
        sent = send_digests()
        db.session.commit()
        return sent

    ran, sent = run_once("notifications.digest", send)
    if not ran:
        click.echo("Another node is sending the digests right now; skipped.")
        return
    click.echo(f"{sent} digest(s) sent.")
