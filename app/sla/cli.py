"""``flask sla ...``: the periodic tick and the replay of task SLA records."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup
from sqlalchemy import select

from app.extensions import db
from app.sla.jobs import run_tick
from app.sla.replay import replay
from app.tickets.models import Ticket
from app.timeutils import utc_now

sla_cli = AppGroup("sla", help="SLA clocks: the periodic tick and the replay check.")


@sla_cli.command("tick")
def tick() -> None:
    """Record warnings and breaches (once each) and escalate; run it every minute from cron,
    or let RQ schedule it when REDIS_URL is set. Running it twice changes nothing."""
    report = run_tick(utc_now())
    db.session.commit()
    click.echo(
        f"{report.refreshed} clock(s) recomputed, {report.warnings} warning(s), "
        f"{report.breaches} breach(es), {len(report.escalations)} escalation(s)."
    )
    for line in report.escalations:
        click.echo(f"  escalated {line}")


@sla_cli.command("replay")
@click.option("--ticket", "number", default=None, help="Only this ticket (e.g. INC0001001).")
def replay_command(number: str | None) -> None:
    """Recompute the task SLA records from the event log and list every difference; exits
    with status 1 when there is any. Changes nothing."""
    ids = None
    if number:
        ticket_id = db.session.scalar(select(Ticket.id).where(Ticket.number == number.strip()))
        if ticket_id is None:
            raise click.ClickException(f"No ticket has the number {number!r}.")
        ids = [ticket_id]
    differences = replay(ids)
    db.session.rollback()
    for difference in differences:
        click.echo(str(difference))
    if differences:
        click.echo(f"{len(differences)} difference(s) between the records and the event log.")
        sys.exit(1)
    click.echo("The task SLA records match the event log.")
