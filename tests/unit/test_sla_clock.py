"""SLA clock: worked examples over ticket timelines, OLAs per group, bad input, invariants."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.sla.calendar import BusinessCalendar
from app.sla.clock import Crossing, Stage, compute_clock, group_clocks
from app.sla.clock_inputs import AWAITING_CALLER_OR_VENDOR, Condition, Event, SlaDefinition

PARIS = ZoneInfo("Europe/Paris")
H = timedelta(hours=1)
MIN = timedelta(minutes=1)
OFFICE = BusinessCalendar.weekly("Europe/Paris", {d: [("08:00", "18:00")] for d in range(5)})
TARGETS = {1: 1 * H, 2: 4 * H, 3: 8 * H, 4: 16 * H}
RESOLUTION = SlaDefinition(
    "resolution",
    TARGETS,
    stop=(Condition(kinds={"resolved", "closed"}),),
    pause=(AWAITING_CALLER_OR_VENDOR,),
)
RESPONSE = SlaDefinition(
    "response", {2: 1 * H, 3: 2 * H}, stop=(Condition(kinds={"responded"}),), reopen=()
)


def t(day: int, hour: int, minute: int = 0) -> datetime:
    """Paris wall time in the week of Monday 8 June 2026 (day 8 = Monday), as UTC."""
    return datetime(2026, 6, day, hour, minute, tzinfo=PARIS).astimezone(UTC)


def opened(at: datetime, priority: int = 3, group: str = "service-desk", **kw) -> Event:
    return Event(at, "opened", priority=priority, group=group, **kw)


def hold(at: datetime, reason: str = "awaiting_caller") -> Event:
    return Event(at, "state_changed", state="on_hold", reason=reason)


def work(at: datetime) -> Event:
    return Event(at, "state_changed", state="in_progress")


def clock(events, now, definition=RESOLUTION, calendar=OFFICE):
    return compute_clock(calendar, definition, events, now)


# -- worked examples -------------------------------------------------------------------------------


def test_ticket_at_16_with_4h_target_is_due_10_next_working_day():
    result = clock([opened(t(8, 16), priority=2)], t(8, 17))
    assert result.stage is Stage.IN_PROGRESS
    assert (result.elapsed, result.remaining, result.target) == (H, 3 * H, 4 * H)
    assert result.percentage == 25.0
    assert result.due_at == t(9, 10)
    assert result.warnings == ()
    assert result.explanation[0].startswith("started 2026-06-08 16:00 (opened)")


def test_opened_on_a_saturday_counts_from_monday_morning():
    result = clock([opened(t(13, 11), priority=2)], t(13, 12))
    assert (result.elapsed, result.due_at) == (timedelta(0), t(15, 12))


def test_pause_awaiting_caller_is_not_counted_and_explained():
    events = [opened(t(8, 9)), hold(t(8, 14, 2)), work(t(8, 16, 40))]
    result = clock(events, t(8, 17))
    assert result.elapsed == 5 * H + 22 * MIN
    assert result.paused == 2 * H + 38 * MIN
    assert result.due_at == t(9, 9, 38)  # 2 h 38 min left: 1 h today, 1 h 38 min tomorrow
    assert (
        "paused 2026-06-08 14:02–16:40 awaiting caller, 2 h 38 min of business time not counted"
        in result.explanation
    )


def test_on_hold_for_another_reason_is_counted():
    events = [opened(t(8, 9)), hold(t(8, 10), reason="change_pending"), work(t(8, 11))]
    assert clock(events, t(8, 12)).elapsed == 3 * H


def test_pause_overnight_counts_only_business_hours_as_paused():
    events = [opened(t(8, 9)), hold(t(8, 17), reason="awaiting_vendor"), work(t(9, 9))]
    result = clock(events, t(9, 10))
    assert (result.elapsed, result.paused) == (9 * H, 2 * H)
    assert any(
        line.startswith("paused 2026-06-08 17:00–2026-06-09 09:00 awaiting vendor, 2 h 0 min")
        for line in result.explanation
    )


def test_still_paused_has_no_due_time():
    result = clock([opened(t(8, 9)), hold(t(8, 10))], t(8, 15))
    assert result.stage is Stage.PAUSED
    assert result.due_at is None
    assert (result.elapsed, result.paused) == (H, 5 * H)
    assert result.explanation[-1].endswith("5 h 0 min of business time not counted so far")


def test_pause_at_the_breach_edge_is_a_breach():
    events = [opened(t(8, 8), priority=2), hold(t(8, 12))]
    result = clock(events, t(8, 15))
    assert result.stage is Stage.BREACHED
    assert result.breached_at == t(8, 12)


def test_pause_one_minute_before_the_breach_holds_the_clock():
    events = [opened(t(8, 8), priority=2), hold(t(8, 11, 59))]
    paused = clock(events, t(8, 15))
    assert paused.stage is Stage.PAUSED
    assert (paused.remaining, paused.breached_at) == (MIN, None)
    resumed = clock([*events, work(t(8, 14))], t(8, 14))
    assert resumed.due_at == t(8, 14, 1)
    assert clock([*events, work(t(8, 14))], t(8, 14, 1)).breached_at == t(8, 14, 1)


def test_priority_raised_from_4_to_2_changes_the_target_and_keeps_elapsed_time():
    events = [opened(t(8, 8), priority=4), Event(t(8, 10), "priority_changed", priority=2)]
    result = clock(events, t(8, 11))
    assert (result.priority, result.target, result.elapsed) == (2, 4 * H, 3 * H)
    assert result.due_at == t(8, 12)
    # 50 % of the new target (2 h) was already spent when the priority changed.
    assert result.warnings == (Crossing(0.5, t(8, 10)), Crossing(0.75, t(8, 11)))
    assert (
        "priority 4 → 2 at 2026-06-08 10:00: target 16 h 0 min → 4 h 0 min, 2 h 0 min already"
        " elapsed kept"
    ) in result.explanation


def test_priority_change_keeps_paused_time_and_can_breach_at_once():
    events = [
        opened(t(8, 8), priority=4),
        hold(t(8, 9)),
        work(t(8, 11)),
        Event(t(8, 13), "priority_changed", priority=1),
    ]
    result = clock(events, t(8, 14))
    assert (result.paused, result.target) == (2 * H, H)
    assert result.breached_at == t(8, 13)
    assert [w.at for w in result.warnings] == [t(8, 13), t(8, 13)]


def test_priority_change_during_a_pause_keeps_one_pause_and_the_times():
    events = [
        opened(t(8, 8), priority=3),
        hold(t(8, 10)),
        Event(t(8, 11), "priority_changed", priority=2),
        work(t(8, 12)),
    ]
    result = clock(events, t(8, 13))
    assert (result.elapsed, result.paused, result.target) == (3 * H, 2 * H, 4 * H)
    assert result.due_at == t(8, 14)
    pauses = [line for line in result.explanation if line.startswith("paused")]
    assert pauses == [
        "paused 2026-06-08 10:00–12:00 awaiting caller, 2 h 0 min of business time not counted"
    ]


def test_retroactive_start_counts_from_opening():
    major = {"retroactive_start": True, "start": (Condition(priorities={1}),)}
    definition = SlaDefinition("major", {1: 8 * H}, **major)
    events = [opened(t(8, 8), priority=3), Event(t(8, 11), "priority_changed", priority=1)]
    result = clock(events, t(8, 12), definition)
    assert (result.started_at, result.counted_from, result.elapsed) == (t(8, 11), t(8, 8), 4 * H)
    assert "retroactive start" in result.explanation[0]
    plain = SlaDefinition("major", {1: 8 * H}, start=major["start"])
    assert clock(events, t(8, 12), plain).elapsed == H
    assert clock(events[:1], t(8, 12), definition).stage is Stage.NOT_STARTED


def test_breached_exactly_at_100_percent():
    events = [opened(t(8, 8), priority=2)]
    just_before = clock(events, t(8, 12) - timedelta(microseconds=1))
    assert just_before.stage is Stage.IN_PROGRESS
    result = clock(events, t(8, 12))
    assert (result.stage, result.breached_at, result.percentage) == (Stage.BREACHED, t(8, 12), 100)
    assert (result.remaining, result.due_at) == (timedelta(0), t(8, 12))


def test_met_before_due_and_frozen_after_the_stop():
    events = [opened(t(8, 8), priority=2), Event(t(8, 11), "resolved")]
    result = clock(events, t(10, 9))
    assert (result.stage, result.elapsed, result.stopped_at) == (Stage.MET, 3 * H, t(8, 11))
    assert result.due_at == t(8, 12)
    late = clock([opened(t(8, 8), priority=2), Event(t(8, 13), "resolved")], t(10, 9))
    assert (late.stage, late.breached_at, late.elapsed) == (Stage.BREACHED, t(8, 12), 5 * H)


def test_cancelled():
    result = clock([opened(t(8, 8), priority=2), Event(t(8, 10), "canceled")], t(8, 15))
    assert (result.stage, result.elapsed, result.due_at) == (Stage.CANCELLED, 2 * H, None)


def test_warnings_at_50_and_75_percent_are_recorded_once():
    events = [
        opened(t(8, 8), priority=3),  # 8 h: 50 % at 12:00, 75 % at 14:00
        Event(t(8, 15), "priority_changed", priority=4),  # 16 h: 7 h is back under 50 %
        Event(t(9, 10), "priority_changed", priority=3),  # 12 h: 75 % of 16 h, 150 % of 8 h
    ]
    result = clock(events, t(9, 11))
    assert result.warnings == (Crossing(0.5, t(8, 12)), Crossing(0.75, t(8, 14)))
    assert result.breached_at == t(9, 10)
    assert sum("50%" in line for line in result.explanation) == 1


def test_reopen_resumes_without_counting_the_resolved_time():
    events = [
        opened(t(8, 8)),
        Event(t(8, 10), "resolved"),
        Event(t(8, 14), "reopened"),
    ]
    result = clock(events, t(8, 15))
    assert (result.stage, result.elapsed, result.stopped_at) == (Stage.IN_PROGRESS, 3 * H, None)
    assert "reopened 2026-06-08 14:00; 4 h 0 min of business time since the stop not counted" in (
        result.explanation
    )


def test_response_clock_stops_at_first_response_and_ignores_reopen():
    events = [opened(t(8, 9), priority=2), Event(t(8, 9, 30), "responded")]
    events += [Event(t(8, 10), "resolved"), Event(t(8, 11), "reopened")]
    result = clock(events, t(8, 15), RESPONSE)
    assert (result.stage, result.elapsed) == (Stage.MET, 30 * MIN)


def test_resume_conditions_keep_the_clock_paused_until_they_match():
    definition = SlaDefinition(
        "custom",
        TARGETS,
        pause=(Condition(states={"on_hold"}),),
        resume=(Condition(kinds={"responded"}),),
    )
    events = [opened(t(8, 8)), hold(t(8, 9)), work(t(8, 10)), Event(t(8, 11), "responded")]
    assert clock(events, t(8, 12), definition).elapsed == 2 * H


def test_24x7_clock_across_midnight_and_dst():
    always = BusinessCalendar.always_open("Europe/Paris")
    definition = SlaDefinition("p1", {1: 2 * H, 2: 24 * H})
    result = clock([opened(t(8, 23), priority=1)], t(9, 0), definition, always)
    assert result.due_at == t(9, 1)
    saturday = datetime(2026, 3, 28, 12, tzinfo=PARIS)
    result = clock([opened(saturday, priority=2)], saturday, definition, always)
    assert result.due_at == datetime(2026, 3, 29, 13, tzinfo=PARIS)


def test_clock_is_replayable_and_ignores_events_after_now():
    events = [opened(t(8, 9)), hold(t(8, 11)), work(t(8, 13)), Event(t(9, 9), "resolved")]
    assert clock(events, t(8, 15)) == clock(events[:3], t(8, 15))
    assert clock(events, t(8, 15)) == clock(list(events), t(8, 15))
    assert clock(events, t(8, 15)).stage is Stage.IN_PROGRESS


# -- OLA per group ---------------------------------------------------------------------------------


def test_reassignment_gives_one_clock_per_stint_in_each_group():
    olas = {
        "service-desk": SlaDefinition("desk", {3: 4 * H}),
        "network": SlaDefinition("net", {3: 6 * H}, pause=(AWAITING_CALLER_OR_VENDOR,)),
    }
    events = [
        opened(t(8, 8)),
        Event(t(8, 10), "assigned", group="network"),
        hold(t(8, 11)),
        work(t(8, 12)),
        Event(t(8, 15), "assigned", group="storage"),
        Event(t(8, 16), "assigned", group="service-desk"),
    ]
    clocks = group_clocks(OFFICE, olas, events, t(8, 17))
    summary = [(c.group, c.entered_at, c.left_at, c.clock.stage, c.clock.elapsed) for c in clocks]
    assert summary == [
        ("service-desk", t(8, 8), t(8, 10), Stage.MET, 2 * H),
        ("network", t(8, 10), t(8, 15), Stage.MET, 4 * H),  # 5 h minus 1 h awaiting caller
        ("service-desk", t(8, 16), None, Stage.IN_PROGRESS, H),
    ]
    assert clocks[1].clock.paused == H
    assert clocks[1].clock.breached_at is None
    assert clocks[1].clock.explanation[-1] == "stopped at 2026-06-08 15:00: left network"


def test_a_stint_entered_while_on_hold_starts_paused():
    olas = {"network": SlaDefinition("net", {3: 4 * H}, pause=(AWAITING_CALLER_OR_VENDOR,))}
    events = [opened(t(8, 8)), hold(t(8, 9)), Event(t(8, 10), "assigned", group="network")]
    (network,) = group_clocks(OFFICE, olas, events, t(8, 12))
    assert (network.clock.stage, network.clock.elapsed, network.clock.paused) == (
        Stage.PAUSED,
        timedelta(0),
        2 * H,
    )


# -- refused input ---------------------------------------------------------------------------------


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="naive"):
        clock([opened(datetime(2026, 6, 8, 9))], t(8, 10))
    with pytest.raises(ValueError, match="naive"):
        clock([opened(t(8, 9))], datetime(2026, 6, 8, 10))


@pytest.mark.parametrize(
    ("events", "now", "message"),
    [
        ([opened(t(8, 10)), hold(t(8, 9))], t(8, 11), "out of order: event 1"),
        ([], t(8, 11), "at least the 'opened' event"),
        ([hold(t(8, 9))], t(8, 11), "must start with 'opened'"),
        ([opened(t(8, 10))], t(8, 9), "before the ticket was opened"),
        ([opened(t(8, 10), priority=9)], t(8, 11), "no target for priority 9"),
    ],
)
def test_bad_timelines_are_refused(events, now, message):
    with pytest.raises(ValueError, match=message):
        clock(events, now)
    with pytest.raises(ValueError, match=message):
        group_clocks(OFFICE, {"service-desk": RESOLUTION}, events, now)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Event(t(8, 9), "resolve"), "unknown event kind"),
        (lambda: Event(t(8, 9), "state_changed"), "needs state"),
        (lambda: Condition(), "at least one field"),
        (lambda: Condition(kinds={"resolve"}), "unknown event kinds"),
        (lambda: SlaDefinition("x", {}), "no targets"),
        (lambda: SlaDefinition("x", {1: timedelta(0)}), "must be > 0"),
        (lambda: SlaDefinition("x", {1: H}, warnings=(0.5, 1.2)), "between 0 and 1"),
        (lambda: SlaDefinition("x", {1: H}, start=()), "no start condition"),
    ],
)
def test_bad_definitions_and_events_are_refused(build, message):
    with pytest.raises(ValueError, match=message):
        build()


# -- invariants ------------------------------------------------------------------------------------

BASE = t(8, 7)  # Monday 07:00 Paris, before opening hours
offsets = st.integers(min_value=0, max_value=5 * 24 * 60)  # minutes after BASE
priorities = st.sampled_from([1, 2, 3, 4])


@settings(deadline=None)  # the machine is shared; timing is the benchmark's job
@given(priorities, offsets, offsets)
def test_elapsed_plus_remaining_is_the_target_while_running(priority, open_at, later):
    start = BASE + open_at * MIN
    result = clock([opened(start, priority=priority)], start + later * MIN)
    assert result.elapsed + result.paused == OFFICE.business_time(start, result.as_of)
    if result.stage is Stage.IN_PROGRESS:
        assert result.elapsed + result.remaining == result.target
        assert OFFICE.business_time(result.as_of, result.due_at) == result.remaining
    else:
        assert result.stage is Stage.BREACHED
        assert OFFICE.business_time(start, result.breached_at) == result.target


@settings(deadline=None)  # the machine is shared; timing is the benchmark's job
@given(priorities, offsets, st.lists(offsets, min_size=2, max_size=6))
def test_pauses_never_shorten_the_due_time_nor_add_business_time(priority, open_at, marks):
    start = BASE + open_at * MIN
    marks = sorted(start + m * MIN for m in marks)
    pauses = [hold(m) if i % 2 == 0 else work(m) for i, m in enumerate(marks)]
    if len(pauses) % 2:
        pauses.pop()
    now = marks[-1] + 5 * 24 * H
    without = clock([opened(start, priority=priority)], now)
    with_pauses = clock([opened(start, priority=priority), *pauses], now)
    assert with_pauses.elapsed <= without.elapsed
    assert with_pauses.elapsed + with_pauses.paused == without.elapsed
    assert with_pauses.due_at >= without.due_at


@settings(deadline=None)  # the machine is shared; timing is the benchmark's job
@given(offsets, offsets, offsets)
def test_elapsed_is_additive_over_split_intervals(open_at, first, second):
    start = BASE + open_at * MIN
    events = [opened(start, priority=4)]
    early, late = clock(events, start + first * MIN), clock(events, start + (first + second) * MIN)
    assert late.elapsed == early.elapsed + OFFICE.business_time(early.as_of, late.as_of)
