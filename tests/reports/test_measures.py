"""Each measure's definition on hand-made timelines: incidents worked through their services on
an office calendar (08:00-18:00 UTC, Monday to Friday), the facts kept by the session hook,
the figures checked against times computed by hand."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.incidents import services
from app.incidents.workflow import State, Transition
from app.reports.measures import figure
from app.reports.rollups.models import TicketFact
from app.reports.scope import Scope
from app.tickets.holds import HoldReason
from app.tickets.models import Channel
from tests.reports.conftest import at, behind

RESOLVE = Transition(State.RESOLVED, resolution_code="solved_remotely", resolution_notes="ok")
MARCH = Scope(date(2026, 3, 1), date(2026, 3, 31))
WINDOW = timedelta(days=7)


@pytest.fixture
def desk(db, queue, make_user, policy):
    """An admin, an agent and the Service Desk queue on the office calendar."""
    admin = make_user(roles=["admin"])
    agent = make_user(roles=["agent"])
    group = queue("Service Desk", members=(agent,))
    policy(group)
    return admin, agent, group


@pytest.fixture
def held_and_reopened(db, desk, make_incident):
    """Opened Monday 09:00, answered (in progress) 10:00, on hold 10:30-14:00, resolved 16:00,
    reopened Tuesday 09:00, resolved again 11:00."""
    _, agent, group = desk
    incident = make_incident(assignment_group=group, now=at("2026-03-02 09:00"))
    services.change_state(incident, Transition(State.IN_PROGRESS), actor=agent,
                          now=at("2026-03-02 10:00"))  # fmt: skip
    hold = Transition(State.ON_HOLD, hold_reason=HoldReason.AWAITING_CALLER)
    services.change_state(incident, hold, actor=agent, now=at("2026-03-02 10:30"))
    services.comment(incident, author=incident.caller, body="Here", public=True,
                     now=at("2026-03-02 14:00"))  # fmt: skip
    services.change_state(incident, RESOLVE, actor=agent, now=at("2026-03-02 16:00"))
    db.session.commit()
    services.reopen_incident(incident, actor=incident.caller, reason="Back again",
                             window=WINDOW, now=at("2026-03-03 09:00"))  # fmt: skip
    services.change_state(incident, RESOLVE, actor=agent, now=at("2026-03-03 11:00"))
    db.session.commit()
    return incident


@pytest.fixture
def over_the_weekend(db, desk, make_incident):
    """Opened Friday 17:00 by phone, answered Monday 08:30, resolved Monday 09:00: never held,
    reassigned or reopened (first contact)."""
    _, agent, group = desk
    incident = make_incident(assignment_group=group, channel=Channel.PHONE,
                             now=at("2026-03-06 17:00"))  # fmt: skip
    services.comment(incident, author=agent, body="On it", public=True, now=at("2026-03-09 08:30"))
    services.change_state(incident, RESOLVE, actor=agent, now=at("2026-03-09 09:00"))
    db.session.commit()
    return incident


def test_business_time_pauses_on_hold_and_restarts_on_reopen(db, desk, held_and_reopened):
    fact = db.session.get(TicketFact, held_and_reopened.id)
    assert fact.response_wall == 3600
    assert fact.response_business == 3600
    # Wall: Monday 09:00 to Tuesday 11:00. Business: 09:00-10:30 and 14:00-16:00 on Monday
    # (the hold and the night are not counted), then 09:00-11:00 on Tuesday after the reopen.
    assert fact.resolution_wall == 26 * 3600
    assert fact.resolution_business == (90 + 120 + 120) * 60
    assert (fact.reopen_count, fact.held, fact.first_contact) == (1, True, False)
    assert fact.resolved_day == date(2026, 3, 3)


def test_business_time_skips_the_night_and_the_weekend(db, desk, over_the_weekend):
    fact = db.session.get(TicketFact, over_the_weekend.id)
    assert fact.response_wall == (2 * 24 + 15) * 3600 + 1800  # Friday 17:00 to Monday 08:30
    assert fact.response_business == 3600 + 1800  # Friday 17-18, Monday 08:00-08:30
    assert fact.resolution_wall == 64 * 3600
    assert fact.resolution_business == 2 * 3600
    assert fact.first_contact is True


def test_resolution_time_median_p90_mean_on_both_bases(
    db, desk, held_and_reopened, over_the_weekend
):
    admin, _, _ = desk
    business = figure("resolution_time", MARCH, admin)
    assert business.count == 2
    assert business.stats == {"median": 7200.0, "p90": 19800.0, "mean": 13500.0}
    by_priority = figure("resolution_time", MARCH, admin, by="priority")  # from the rollup
    assert sum(p.count for p in by_priority.series) == 2
    by_group = figure("resolved", MARCH, admin, by="group")
    assert [(p.key, p.count) for p in by_group.series] == [(desk[2].id, 2)]
    wall = figure("resolution_time", MARCH, admin, basis="wall")
    assert wall.stats == {"median": 93600.0, "p90": 230400.0, "mean": 162000.0}
    by_day = figure("resolution_time", MARCH, admin, by="day")
    assert len(by_day.series) == 31  # every day of March, empty ones too
    assert [(p.key, p.value, p.count) for p in by_day.series if p.count] == [
        (date(2026, 3, 3), 19800.0, 1),
        (date(2026, 3, 9), 7200.0, 1),
    ]


def test_first_response_counts_tickets_opened_in_the_range(
    db, desk, held_and_reopened, over_the_weekend
):
    admin, _, _ = desk
    result = figure("response_time", MARCH, admin, basis="business")
    assert result.count == 2
    assert result.stats["mean"] == (3600 + 5400) / 2
    week_of_the_6th = Scope(date(2026, 3, 5), date(2026, 3, 8))
    assert figure("response_time", week_of_the_6th, admin).count == 1  # opened Friday


def test_reopen_first_contact_and_reassignment_rates(
    db, desk, make_incident, queue, held_and_reopened, over_the_weekend
):
    admin, agent, group = desk
    network = queue("Network", members=(agent,))
    moved = make_incident(assignment_group=group, now=at("2026-03-10 09:00"))
    services.assign_incident(moved, group=network, assignee=None, actor=agent,
                             now=at("2026-03-10 09:30"))  # fmt: skip
    services.assign_incident(moved, group=group, assignee=None, actor=agent,
                             now=at("2026-03-10 09:45"))  # fmt: skip
    services.change_state(moved, RESOLVE, actor=agent, now=at("2026-03-10 10:00"))
    db.session.commit()
    assert figure("reopen_rate", MARCH, admin).value == pytest.approx(33.3)
    assert figure("first_contact_rate", MARCH, admin).value == pytest.approx(33.3)
    reassignment = figure("reassignment", MARCH, admin)
    assert reassignment.value == pytest.approx(2 / 3, abs=0.01)
    assert reassignment.stats["reassigned_percent"] == pytest.approx(33.3)
    assert behind(db, "reopen_rate", MARCH, admin, part=True) == {held_and_reopened.id}
    assert behind(db, "first_contact_rate", MARCH, admin, part=True) == {over_the_weekend.id}
    assert behind(db, "reassignment", MARCH, admin, part=True) == {moved.id}


def test_volume_by_channel_and_hour_and_backlog(db, desk, make_incident, over_the_weekend):
    admin, agent, group = desk
    still_open = make_incident(assignment_group=group, channel=Channel.EMAIL,
                               now=at("2026-03-20 13:15"))  # fmt: skip
    canceled = make_incident(assignment_group=group, now=at("2026-03-21 08:00"))
    services.change_state(canceled, Transition(State.CANCELED), actor=agent,
                          now=at("2026-03-22 08:00"))  # fmt: skip
    db.session.commit()
    opened = figure("opened", MARCH, admin, by="channel")
    assert {p.key: p.count for p in opened.series} == {"email": 1, "phone": 1, "portal": 1}
    hours = {p.key: p.count for p in figure("opened", MARCH, admin, by="hour").series if p.count}
    assert hours == {17: 1, 13: 1, 8: 1}
    assert figure("resolved", MARCH, admin).value == 1
    # Channel filters are read from the facts, not the daily rollup: the same answers.
    assert figure("opened", replace(MARCH, channels=("email",)), admin).count == 1
    phone = replace(MARCH, channels=("phone",))
    assert figure("resolved", phone, admin, by="day").count == 1
    assert figure("resolution_time", phone, admin, by="week").count == 1
    assert figure("resolved", replace(MARCH, channels=("email",)), admin).count == 0
    backlog = figure("backlog", MARCH, admin, now=at("2026-04-01 00:00"))
    assert backlog.count == 1
    assert (
        backlog.stats["age_median"]
        == (at("2026-04-01 00:00") - at("2026-03-20 13:15")).total_seconds()
    )
    assert behind(db, "backlog", MARCH, admin) == {still_open.id}
    # At the end of 21 March both were open; the cancellation on the 22nd took one away.
    by_day = {p.key: p.count for p in figure("backlog", MARCH, admin, by="day",
                                              now=at("2026-04-01 00:00")).series}  # fmt: skip
    assert by_day[date(2026, 3, 19)] == 0
    assert by_day[date(2026, 3, 21)] == 2
    assert by_day[date(2026, 3, 22)] == 1
    assert by_day[date(2026, 3, 31)] == 1


def test_workload_per_agent(db, desk, make_incident, over_the_weekend):
    admin, agent, group = desk
    mine = make_incident(assignment_group=group, now=at("2026-03-20 09:00"))
    services.assign_incident(mine, group=group, assignee=agent, actor=agent,
                             now=at("2026-03-20 09:10"))  # fmt: skip
    db.session.commit()
    result = figure("workload", MARCH, admin, now=at("2026-03-31 12:00"))
    assert [(p.key, p.count) for p in result.series] == [(agent.id, 1)]
    assert behind(db, "workload", MARCH, admin, agent=agent.id) == {mine.id}


def test_every_fact_measure_drills_down_to_exactly_the_tickets_it_counts(
    db, desk, held_and_reopened, over_the_weekend, make_incident
):
    admin, _, group = desk
    make_incident(assignment_group=group, channel=Channel.EMAIL, now=at("2026-03-25 10:00"))
    db.session.commit()
    for name in ("response_time", "resolution_time", "opened", "resolved", "backlog",
                 "reopen_rate", "first_contact_rate", "reassignment", "mttr"):  # fmt: skip
        counted = figure(name, MARCH, admin, **({"now": at("2026-04-01 00:00")}
                                                if name == "backlog" else {}))  # fmt: skip
        assert len(behind(db, name, MARCH, admin)) == counted.count, name
        if name in ("backlog", "mttr"):
            continue
        by_day = figure(name, MARCH, admin, by="day")
        for point in by_day.series:
            assert len(behind(db, name, MARCH, admin, day=point.key)) == point.count, (name, point)


def test_rows_of_other_months_are_not_counted(db, desk, held_and_reopened):
    admin, _, _ = desk
    april = Scope(date(2026, 4, 1), date(2026, 4, 30))
    assert figure("resolution_time", april, admin).count == 0
    assert figure("resolution_time", april, admin).value is None
    assert behind(db, "resolution_time", april, admin) == set()
    assert db.session.scalar(select(TicketFact.ticket_id)) == held_and_reopened.id
