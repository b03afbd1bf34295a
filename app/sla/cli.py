"""``flask sla ...``: the periodic tick (once, scheduled, or an RQ worker) and the replay of
task SLA records."""

from __future__ import annotations

import signal
import sys
import threading

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from app.extensions import db
from app.sla import schedule
from app.sla.forecast.cli import backtest
from app.sla.jobs import TickReport, tick_once
from app.sla.replay import replay
from app.sla.services import refresh_ticket_slas
from app.tickets.models import Ticket
from app.timeutils import utc_now

sla_cli = AppGroup("sla", help="SLA clocks: the periodic tick and the replay check.")
sla_cli.add_command(backtest)


@sla_cli.command("tick")
def tick() -> None:
    """One tick, inline: record warnings and breaches (once each) and escalate. Run it every
    minute from cron, or run ``flask sla scheduler`` instead. Running it twice changes nothing."""
    report = tick_once()
    if report is None:
        click.echo("Another node is ticking right now; this tick was skipped.")
        return
    _echo(report)


def _echo(report: TickReport) -> None:
    click.echo(
        f"{report.refreshed} clock(s) recomputed, {report.warnings} warning(s), "
        f"{report.breaches} breach(es), {len(report.escalations)} escalation(s)."
    )
    for line in report.escalations:
        click.echo(f"  escalated {line}")


@sla_cli.command("scheduler")
@click.option("--interval", default=schedule.INTERVAL, show_default=True, type=click.IntRange(1))
@click.option("--ticks", default=None, type=click.IntRange(1), help="Stop after this many.")
def scheduler(interval: int, ticks: int | None) -> None:
    """Tick every INTERVAL seconds until stopped: through Redis and RQ when REDIS_URL is set
    (this process enqueues, ``flask sla worker`` runs), inline in this process otherwise."""
    url = current_app.config.get("REDIS_URL")
    if url:
        if ticks is not None:
            raise click.UsageError("--ticks is for the inline scheduler (REDIS_URL is set).")
        click.echo(f"Enqueuing the SLA tick on RQ queue '{schedule.QUEUE}' every {interval} s.")
        connection = schedule.scheduler_connection(url)
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda _signum, _frame: stop.set())
        try:
            schedule.run_cron(schedule.cron_scheduler(connection, interval=interval), stop=stop)
        except KeyboardInterrupt:
            stop.set()
        return
    click.echo(f"REDIS_URL is not set: ticking inline every {interval} s.")
    schedule.run_inline(interval=interval, ticks=ticks, report=_echo)


@sla_cli.command("worker")
@click.option("--burst", is_flag=True, help="Run the queued ticks, then stop.")
def worker(burst: bool) -> None:
    """Run the ticks the scheduler enqueued (needs REDIS_URL)."""
    url = current_app.config.get("REDIS_URL")
    if not url:
        raise click.ClickException("REDIS_URL is not set: use `flask sla scheduler` (inline).")
    schedule.worker(schedule.redis_connection(url)).work(burst=burst)


@sla_cli.command("replay")
@click.option("--ticket", "number", default=None, help="Only this ticket (e.g. INC0001001).")
@click.option(
    "--fix",
    is_flag=True,
    help="Recompute the records that differ (as of now; past warnings and breaches are "
    "recorded as notified, not announced again).",
)
def replay_command(number: str | None, fix: bool) -> None:
    """Recompute the task SLA records from the event log and list every difference; exits
    with status 1 when there is any (and --fix was not given). Changes nothing without --fix."""
    ids = None
    if number:
        ticket_id = db.session.scalar(select(Ticket.id).where(Ticket.number == number.strip()))
        if ticket_id is None:
            raise click.ClickException(f"No ticket has the number {number!r}.")
        ids = [ticket_id]
    differences = replay(ids)
    numbers = {d.ticket for d in differences}
    db.session.rollback()
    for difference in differences:
        click.echo(str(difference))
    if not differences:
        click.echo("The task SLA records match the event log.")
        return
    click.echo(f"{len(differences)} difference(s) between the records and the event log.")
    if not fix:
        sys.exit(1)
    wrong = db.session.scalars(select(Ticket.id).where(Ticket.number.in_(numbers)))
    written = refresh_ticket_slas(set(wrong), now=utc_now(), settle=True)
    db.session.commit()
    click.echo(f"Fixed: {written} record(s) of {len(numbers)} ticket(s) recomputed.")
