"""The demo calendars and policies load through the forms' checks, once."""

from __future__ import annotations

from datetime import date

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
    assert (first.calendars_added, first.policies_added) == (3, len(data["policies"]))
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
    always = calendars["24×7"]
    assert (
        always.business_time(at("2026-03-28 22:00"), at("2026-03-29 04:00")).total_seconds()
        == 6 * 3600
    )
