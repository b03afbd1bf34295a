"""``flask mail receive`` (an MTA pipes one message to it) and ``flask mail poll`` (reads the
IMAP mailboxes)."""

from __future__ import annotations

import sys
import time

import click
from flask.cli import AppGroup
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db
from app.mail.incoming import intake, polling
from app.ops.periodic import run_once

mail_cli = AppGroup("mail", help="The mail channel: receive piped mail, poll IMAP mailboxes.")

TEMPFAIL = 75  # EX_TEMPFAIL: the MTA keeps the message and tries again


@mail_cli.command("receive")
@click.option("--mailbox", "mailbox_name", help="The mailbox the message was sent to.")
def receive_command(mailbox_name: str | None) -> None:
    """Read one RFC 5322 message on standard input; print the ticket number it created or
    updated, or ``ignored: <reason>`` / ``quarantined: <reason>``. Exits 0 whenever the
    message was stored, 75 (try again later) when it could not be."""
    raw = sys.stdin.buffer.read()
    try:
        mailbox = intake.mailbox_named(mailbox_name)
        outcome = intake.take(raw, mailbox)
    except LookupError as error:
        raise click.UsageError(str(error)) from None
    except SQLAlchemyError as error:
        db.session.rollback()
        click.echo(f"not stored, try again later: {error}".splitlines()[0], err=True)
        sys.exit(TEMPFAIL)
    click.echo(outcome.line())


@mail_cli.command("poll")
@click.option("--mailbox", "mailbox_name", help="Poll only this mailbox.")
@click.option("--once", is_flag=True, help="Poll each mailbox once, then stop.")
def poll_command(mailbox_name: str | None, once: bool) -> None:
    """Receive the mail waiting in each active IMAP mailbox and move each message, once it is
    committed, to the mailbox's processed folder. A mailbox that cannot be reached gets its
    ``last_error`` and the others go on. Without ``--once``, keeps polling, each mailbox
    every ``poll_seconds``. Several nodes may run it: one polls at a time (see
    :mod:`app.ops.periodic`)."""
    try:
        while True:
            ran, reports = run_once(
                "mail.poll", lambda: list(polling.poll_all(mailbox_name, due_only=not once))
            )
            if not ran:
                click.echo("Another node is polling the mailboxes right now; skipped.")
            for report in reports or []:
                click.echo(report)
            if once:
                return
            time.sleep(polling.next_poll_in())
    except LookupError as error:
        raise click.UsageError(str(error)) from None
