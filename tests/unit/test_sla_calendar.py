"""Business calendar: worked examples (holidays, lunch breaks, DST, midnight) and invariants."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.sla.calendar import BusinessCalendar, DateException, Segment

PARIS = ZoneInfo("Europe/Paris")
H = timedelta(hours=1)
WEEKDAYS = range(5)


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0, zone=PARIS) -> datetime:
    """A local wall-clock time (first occurrence), as the UTC instant the calendar works with."""
    return datetime(year, month, day, hour, minute, tzinfo=zone).astimezone(UTC)


def paris_office(**options) -> BusinessCalendar:
    return BusinessCalendar.weekly(
        "Europe/Paris", {d: [("08:00", "18:00")] for d in WEEKDAYS}, **options
    )


OFFICE = paris_office()
OFFICE_FR = paris_office(country="FR")
LUNCH = BusinessCalendar.weekly(
    "Europe/Paris", {d: [("08:00", "12:00"), ("13:00", "17:00")] for d in WEEKDAYS}, country="FR"
)
ALWAYS_PARIS = BusinessCalendar.always_open("Europe/Paris")
# Same hours as ALWAYS_PARIS but with a far-away closed date: forces the general (per-day) path.
ALWAYS_PARIS_SLOW = BusinessCalendar(
    "Europe/Paris", ALWAYS_PARIS.week, closed_dates=frozenset({date(2040, 1, 2)})
)


# -- worked examples -------------------------------------------------------------------------------


def test_ticket_at_16_with_4h_target_is_due_10_next_working_day():
    monday_16 = local(2026, 6, 8, 16)
    assert OFFICE.add_business_time(monday_16, 4 * H) == local(2026, 6, 9, 10)
    assert OFFICE.business_time(monday_16, local(2026, 6, 9, 10)) == 4 * H


def test_friday_16_is_due_monday_10():
    assert OFFICE.add_business_time(local(2026, 6, 12, 16), 4 * H) == local(2026, 6, 15, 10)


def test_opened_outside_working_hours_counts_from_the_next_opening():
    saturday = local(2026, 6, 13, 11)
    assert OFFICE.add_business_time(saturday, 4 * H) == local(2026, 6, 15, 12)
    assert OFFICE.next_business_instant(saturday) == local(2026, 6, 15, 8)
    assert OFFICE.business_time(saturday, local(2026, 6, 15, 8)) == timedelta(0)


def test_a_target_ending_with_the_day_is_due_at_closing_not_next_morning():
    assert OFFICE.add_business_time(local(2026, 6, 8, 16), 2 * H) == local(2026, 6, 8, 18)


def test_french_national_day_is_skipped():
    monday_16 = local(2026, 7, 13, 16)  # 14 July 2026 is a Tuesday
    assert OFFICE.add_business_time(monday_16, 4 * H) == local(2026, 7, 14, 10)
    assert OFFICE_FR.add_business_time(monday_16, 4 * H) == local(2026, 7, 15, 10)
    assert not OFFICE_FR.is_business_time(local(2026, 7, 14, 10))


@pytest.mark.parametrize(
    ("subdivision", "due_day"),
    [("SCT", 4), ("ENG", 3)],  # 3 August 2026: Summer Bank Holiday in Scotland only
)
def test_uk_bank_holiday_depends_on_the_subdivision(subdivision, due_day):
    london = ZoneInfo("Europe/London")
    calendar = BusinessCalendar.weekly(
        "Europe/London",
        {d: [("09:00", "17:00")] for d in WEEKDAYS},
        country="GB",
        subdivision=subdivision,
    )
    friday_15 = local(2026, 7, 31, 15, zone=london)
    assert calendar.add_business_time(friday_15, 4 * H) == local(2026, 8, due_day, 11, zone=london)


@pytest.mark.parametrize(
    ("eve", "include_eves", "open_hours"),
    [
        (date(2026, 6, 19), False, 8 * H),  # midsommarafton: a working Friday by law
        (date(2026, 6, 19), True, 0 * H),
        (date(2026, 12, 24), True, 0 * H),  # julafton, a Thursday
        (date(2026, 12, 31), True, 0 * H),  # nyårsafton, a Thursday
        (date(2026, 6, 18), True, 8 * H),  # the day before stays a working day
    ],
)
def test_swedish_eves_close_only_when_the_calendar_includes_them(eve, include_eves, open_hours):
    stockholm = ZoneInfo("Europe/Stockholm")
    calendar = BusinessCalendar.weekly(
        "Europe/Stockholm",
        {d: [("08:00", "16:00")] for d in WEEKDAYS},
        country="SE",
        include_eves=include_eves,
    )
    day = local(eve.year, eve.month, eve.day, 0, zone=stockholm)
    assert calendar.business_time(day, day + 24 * H) == open_hours
    assert calendar.segments_on(date(2026, 6, 20)) == ()  # midsommardagen, public either way


def test_custom_closed_dates_and_exceptions():
    calendar = paris_office(
        closed_dates=frozenset({date(2026, 6, 9)}),
        exceptions=(DateException(date(2026, 6, 13), (Segment("09:00", "11:00"),), "catch-up"),),
    )
    assert calendar.add_business_time(local(2026, 6, 8, 16), 4 * H) == local(2026, 6, 10, 10)
    assert calendar.business_time(local(2026, 6, 12, 18), local(2026, 6, 15, 8)) == 2 * H
    assert calendar.is_business_time(local(2026, 6, 13, 10))


def test_an_exception_can_open_a_public_holiday():
    calendar = paris_office(
        country="FR", exceptions=(DateException(date(2026, 7, 14), (Segment("08:00", "12:00"),)),)
    )
    assert calendar.add_business_time(local(2026, 7, 13, 16), 4 * H) == local(2026, 7, 14, 10)
    assert calendar.business_time(local(2026, 7, 14, 0), local(2026, 7, 15, 0)) == 4 * H


def test_lunch_break_is_not_counted():
    monday_11 = local(2026, 6, 8, 11)
    assert LUNCH.add_business_time(monday_11, 2 * H) == local(2026, 6, 8, 14)
    assert LUNCH.business_time(monday_11, local(2026, 6, 8, 14)) == 2 * H
    assert not LUNCH.is_business_time(local(2026, 6, 8, 12, 30))
    assert LUNCH.is_business_time(local(2026, 6, 8, 13))
    assert not LUNCH.is_business_time(local(2026, 6, 8, 17))
    assert LUNCH.next_business_instant(local(2026, 6, 8, 12, 30)) == local(2026, 6, 8, 13)
    assert LUNCH.add_business_time(monday_11, H) == local(2026, 6, 8, 12)


def test_24x7_target_spans_midnight():
    for calendar in (BusinessCalendar.always_open(), ALWAYS_PARIS, ALWAYS_PARIS_SLOW):
        late = local(2026, 6, 8, 23)
        assert calendar.add_business_time(late, 2 * H) == local(2026, 6, 9, 1)
        assert calendar.business_time(late, local(2026, 6, 9, 1)) == 2 * H


@pytest.mark.parametrize("calendar", [ALWAYS_PARIS, ALWAYS_PARIS_SLOW], ids=["fast", "per-day"])
def test_24x7_across_paris_dst_counts_real_hours(calendar):
    saturday_noon = local(2026, 3, 28, 12)  # clocks go 02:00 → 03:00 on Sunday 29 March
    assert calendar.add_business_time(saturday_noon, 24 * H) == local(2026, 3, 29, 13)
    assert calendar.business_time(local(2026, 3, 29), local(2026, 3, 30)) == 23 * H
    assert calendar.business_time(local(2026, 10, 25), local(2026, 10, 26)) == 25 * H
    october_noon = local(2026, 10, 24, 12)  # clocks go 03:00 → 02:00 on Sunday 25 October
    assert calendar.add_business_time(october_noon, 24 * H) == local(2026, 10, 25, 11)


def test_business_hours_across_paris_dst():
    friday_16 = local(2026, 3, 27, 16)
    assert OFFICE.add_business_time(friday_16, 4 * H) == local(2026, 3, 30, 10)
    assert OFFICE.business_time(local(2026, 3, 27, 8), local(2026, 3, 30, 18)) == 20 * H
    assert OFFICE.add_business_time(local(2026, 10, 23, 16), 4 * H) == local(2026, 10, 26, 10)


@pytest.mark.parametrize(
    ("day", "hours"), [(date(2026, 3, 29), 1), (date(2026, 10, 25), 3), (date(2026, 6, 7), 2)]
)
def test_night_segment_follows_the_wall_clock_on_dst_days(day, hours):
    calendar = BusinessCalendar.weekly("Europe/Paris", {6: [("01:00", "03:00")]})
    start = local(day.year, day.month, day.day)
    assert calendar.business_time(start, start + 30 * H) == hours * H


def test_segment_starting_in_the_repeated_autumn_hour_starts_at_its_first_reading():
    calendar = BusinessCalendar.weekly("Europe/Paris", {6: [("02:30", "04:00")]})
    sunday = local(2026, 10, 25)
    first_reading = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 02:30 CEST, before the fall-back
    assert calendar.next_business_instant(sunday) == first_reading
    assert calendar.business_time(sunday, sunday + 24 * H) == 2 * H + 30 * timedelta(minutes=1)


def test_segment_starting_in_the_spring_gap_starts_at_the_transition():
    calendar = BusinessCalendar.weekly("Europe/Paris", {6: [("02:30", "04:00")]})
    sunday = local(2026, 3, 29)
    assert calendar.next_business_instant(sunday) == local(2026, 3, 29, 3)  # 03:00 CEST
    assert calendar.business_time(sunday, sunday + 24 * H) == H


def test_targets_of_weeks_skip_whole_weeks_correctly():
    start = local(2026, 6, 8, 16)
    due = OFFICE_FR.add_business_time(start, 400 * H)  # 40 working days of 10 h
    assert OFFICE_FR.business_time(start, due) == 400 * H
    # 9 Jun … 4 Aug holds 41 weekdays; 14 July is skipped, so the 40th working day is 4 August.
    assert due == local(2026, 8, 4, 16)
    assert OFFICE.add_business_time(start, 400 * H) == local(2026, 8, 3, 16)


def test_calendar_accepts_other_aware_zones_and_returns_utc():
    start = datetime(2026, 6, 8, 16, tzinfo=PARIS)
    due = OFFICE.add_business_time(start, 4 * H)
    assert due.tzinfo is UTC
    assert due == local(2026, 6, 9, 10)


# -- refused input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: BusinessCalendar.weekly("Mars/Olympus", {0: [("08:00", "18:00")]}), "time zone"),
        (lambda: paris_office(country="XX"), "holiday country"),
        (lambda: paris_office(country="GB", subdivision="NOPE"), "subdivision"),
        (lambda: paris_office(country="US", include_eves=True), "no eves"),
        (lambda: paris_office(include_eves=True), "eves need a holiday country"),
        (lambda: BusinessCalendar.weekly("UTC", {}), "no working hours"),
        (lambda: Segment("10:00", "10:00"), "empty or reversed"),
        (lambda: Segment("12:00", "08:00"), "empty or reversed"),
        (
            lambda: BusinessCalendar.weekly("UTC", {0: [("08:00", "12:00"), ("11:00", "13:00")]}),
            "overlapping",
        ),
        (lambda: BusinessCalendar("UTC", ((),) * 6), "7 days"),
    ],
)
def test_bad_calendars_are_refused(build, message):
    with pytest.raises(ValueError, match=message):
        build()


def test_naive_datetimes_and_bad_arguments_are_refused():
    naive = datetime(2026, 6, 8, 16)
    aware = local(2026, 6, 8, 16)
    with pytest.raises(ValueError, match="naive"):
        OFFICE.add_business_time(naive, H)
    with pytest.raises(ValueError, match="naive"):
        OFFICE.business_time(aware, naive)
    with pytest.raises(ValueError, match="naive"):
        OFFICE.is_business_time(naive)
    with pytest.raises(ValueError, match="before start"):
        OFFICE.business_time(aware, aware - H)
    with pytest.raises(ValueError, match="negative"):
        OFFICE.add_business_time(aware, -H)


def test_end_of_day_segment_and_time_objects():
    segment = Segment(time(22), "24:00")
    assert segment.end == time(0)
    assert str(segment) == "22:00–24:00"
    calendar = BusinessCalendar.weekly("UTC", {0: [segment], 1: [("00:00", "02:00")]})
    monday_23 = datetime(2026, 6, 8, 23, tzinfo=UTC)
    assert calendar.add_business_time(monday_23, 2 * H) == datetime(2026, 6, 9, 1, tzinfo=UTC)


# -- invariants ------------------------------------------------------------------------------------

instants = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)
)
durations = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=40))
calendars = st.sampled_from([OFFICE_FR, LUNCH, ALWAYS_PARIS, ALWAYS_PARIS_SLOW])


def oracle(calendar: BusinessCalendar, start: datetime, end: datetime) -> timedelta:
    """Business time by brute force: every local day's segments, clipped (no DST gap handling)."""
    total = timedelta(0)
    day = start.astimezone(calendar.tz).date() - timedelta(days=1)
    while day <= end.astimezone(calendar.tz).date():
        for segment in calendar.segments_on(day):
            s = datetime.combine(day, segment.start, calendar.tz).astimezone(UTC)
            end_day = day + timedelta(days=1) if segment.end == time(0) else day
            e = datetime.combine(end_day, segment.end, calendar.tz).astimezone(UTC)
            total += max(min(e, end) - max(s, start), timedelta(0))
        day += timedelta(days=1)
    return total


@settings(max_examples=200, deadline=None)
@given(calendars, instants, durations)
def test_adding_then_measuring_gives_the_duration_back(calendar, start, duration):
    due = calendar.add_business_time(start, duration)
    assert due >= start
    assert calendar.business_time(start, due) == duration
    if duration:  # the earliest such instant
        assert calendar.business_time(start, due - timedelta(microseconds=1)) < duration


@settings(deadline=None)  # the machine is shared; timing is the benchmark's job
@given(calendars, instants, durations, durations)
def test_business_time_is_bounded_additive_and_matches_brute_force(calendar, a, d1, d2):
    b, c = a + d1, a + d1 + d2
    total = calendar.business_time(a, c)
    assert timedelta(0) <= total <= c - a
    assert total == calendar.business_time(a, b) + calendar.business_time(b, c)
    assert total == oracle(calendar, a, c)


@settings(deadline=None)  # the machine is shared; timing is the benchmark's job
@given(calendars, instants)
def test_next_business_instant_is_business_time_reached_without_working(calendar, instant):
    nxt = calendar.next_business_instant(instant)
    assert nxt >= instant
    assert calendar.is_business_time(nxt)
    assert calendar.business_time(instant, nxt) == timedelta(0)
