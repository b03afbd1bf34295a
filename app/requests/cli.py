"""``flask requests ...``: reminders for approvals that wait too long."""

from __future__ import annotations

from datetime import timedelta

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from app.extensions import db
from app.sla.calendar import BusinessCalendar
from app.timeutils import utc_now

requests_cli = AppGroup("requests", help="Service requests.")

DEFAULT_HOURS = 8.0  # one working day of the default calendar


def reminder_calendar(name: str | None) -> BusinessCalendar:
    """The SLA calendar called ``name``; without a name, Monday to Friday 08:00–18:00 in the
    desk's time zone.

    :raise click.ClickException: no calendar has that name.
    """
    if not name:
        zone = current_app.config.get("DESKGRAPH_TIMEZONE", "UTC")
        return BusinessCalendar.weekly(zone, {day: [("08:00", "18:00")] for day in range(5)})
    from app.sla.models import SlaCalendar
    from app.sla.timeline import business_calendar

    row = db.session.scalar(select(SlaCalendar).where(SlaCalendar.name == name))
    if row is None:
        raise click.ClickException(f"No business calendar is named {name!r}.")
    return business_calendar(row)


@requests_cli.command("remind")
@click.option(
    "--hours",
    type=click.FloatRange(min=0.1, max=24 * 30),
    default=None,
    help="Business hours an approval may wait before a reminder "
    "(default: REQUEST_REMINDER_HOURS, else 8).",
)
@click.option("--calendar", default=None, help="The SLA calendar that counts business hours.")
def remind(hours: float | None, calendar: str | None) -> None:
    """Remind approvers of approvals pending longer than the delay, once per period. Run it
    hourly from cron; running it again at once reminds nobody twice."""
    from app.requests.approvals.services import remind_pending

    hours = hours or float(current_app.config.get("REQUEST_REMINDER_HOURS", DEFAULT_HOURS))
    name = calendar or current_app.config.get("REQUEST_REMINDER_CALENDAR")
    reminded = remind_pending(
        now=utc_now(), delay=timedelta(hours=hours), calendar=reminder_calendar(name)
    )
    db.session.commit()
    click.echo(f"Reminded {len(reminded)} pending approval(s).")
