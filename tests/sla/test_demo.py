"""The demo calendars and policies load through the forms' checks, once."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from app.demo import load_organisation, read_demo_file, read_organisation
from app.sla.demo import load_sla
from app.sla.models import SlaCalendar, SlaPolicy
from app.sla.timeline import business_calendar
from tests.sla.conftest import at


def test_demo_sla_loads_once_with_holidays(db):
    load_organisation(read_organisation())
    data = read_demo_file("sla.json")
    first = load_sla(data)
    assert (first.calendars_added, first.policies_added) == (4, len(data["policies"]))
    db.session.commit()
    again = load_sla(data)
    assert (again.calendars_added, again.policies_added, again.records) == (0, 0, 0)
    assert db.session.scalar(select(func.count()).select_from(SlaPolicy)) == len(data["policies"])
    calendars = {c.name: business_calendar(c) for c in db.session.scalars(select(SlaCalendar))}
    lyon, manchester = calendars["Lyon office hours"], calendars["Manchester office hours"]
    assert lyon.segments_on(date(2026, 7, 14)) == ()  # Bastille Day
    assert lyon.segments_on(date(2026, 12, 24)) == ()  # custom closed date
    assert manchester.segments_on(date(2026, 8, 31)) == ()  # English summer bank holiday
    assert manchester.segments_on(date(2026, 7, 14)) != ()
    stockholm = calendars["Stockholm office hours"]
    assert stockholm.segments_on(date(2026, 5, 14)) == ()  # Kristi himmelsfärdsdag
    assert stockholm.segments_on(date(2026, 6, 19)) == ()  # midsommarafton, an eve
    assert stockholm.segments_on(date(2026, 12, 24)) == ()  # julafton
    assert stockholm.segments_on(date(2026, 12, 31)) == ()  # nyårsafton
    assert stockholm.segments_on(date(2026, 6, 18)) != ()
    always = calendars["24×7"]
    assert (
        always.business_time(at("2026-03-28 22:00"), at("2026-03-29 04:00")).total_seconds()
        == 6 * 3600
    )


@pytest.mark.slow
def test_the_first_tick_after_the_demo_load_announces_no_history(app, db):
    """60 days of demo incidents breached and warned long ago: that history is recorded as
    already notified at load, so the first tick announces (and escalates) nothing from it, and
    later ticks announce only what crosses after the load, or what a queue owes from the
    moment a ticket enters it after the load (an escalation that reassigns an unanswered
    ticket to the Service Desk starts its first-response policy, measured from the opening:
    whether a demo ticket breaches that soon depends on the hour and day the test runs)."""
    from datetime import datetime, timedelta

    from app.sla.jobs import run_tick
    from app.sla.models import TaskSla
    from app.sla.services import SETTLE_GRACE
    from app.tickets.models import TicketEvent
    from app.timeutils import utc_now

    loaded_at = utc_now()
    result = app.test_cli_runner().invoke(args=["deskgraph", "demo", "load"])
    assert result.exit_code == 0, result.output
    crossed = select(func.count()).select_from(TaskSla).where(TaskSla.warning_level > 0)
    assert db.session.scalar(crossed) > 50  # the history is there, in the records

    def announced() -> list[datetime]:
        """When each announced crossing happened, less those of a policy whose queue the
        ticket entered after the load (new to that queue, not history)."""
        db.session.expire_all()
        queue_of = dict(db.session.execute(select(SlaPolicy.id, SlaPolicy.group_id)).all())
        entered = {
            (ticket_id, data["group_id"])
            for ticket_id, data in db.session.execute(
                select(TicketEvent.ticket_id, TicketEvent.data).where(
                    TicketEvent.type == "assigned", TicketEvent.created_at > loaded_at
                )
            )
        }
        rows = db.session.execute(
            select(TicketEvent.ticket_id, TicketEvent.data).where(
                TicketEvent.type.in_(["sla_warning", "sla_breached"])
            )
        )
        return [
            datetime.fromisoformat(d.get("crossed_at") or d["breached_at"])
            for ticket_id, d in rows
            if (ticket_id, queue_of.get(d["policy_id"])) not in entered
        ]

    first = run_tick(utc_now())
    db.session.commit()
    # Only what crossed in the last minutes before the load (the grace period) may be announced.
    assert first.warnings + first.breaches <= 5
    assert all(at >= loaded_at - SETTLE_GRACE for at in announced())
    tomorrow = loaded_at + timedelta(days=1)
    later = run_tick(tomorrow)
    db.session.commit()
    assert later.warnings + later.breaches > 0  # open demo tickets keep running
    assert all(at >= loaded_at - SETTLE_GRACE for at in announced())
    again = run_tick(tomorrow)
    assert (again.warnings, again.breaches, again.escalations) == (0, 0, [])
