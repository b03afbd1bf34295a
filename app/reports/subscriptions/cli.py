"""``flask reports mail-weekly``: the weekly report mails."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from app.extensions import db
from app.reports.subscriptions.mailing import send_weekly


@click.command("mail-weekly")
@with_appcontext
def mail_weekly() -> None:
    """Mail each subscriber the last full week's figures of their report, once a week, on or
    after the weekday they chose. Run it daily from cron (e.g. ``0 7 * * * flask reports
    mail-weekly``); running it again the same week sends nothing more."""
    sent = send_weekly()
    db.session.commit()
    click.echo(f"{sent} weekly report mail(s) queued.")
