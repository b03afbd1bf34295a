"""Worked examples end to end: incidents changed through their services, task SLA records kept
current by the session hook, checked against times computed by hand."""

from __future__ import annotations

from datetime import UTC, timedelta

from sqlalchemy import select

from app.incidents import services
from app.incidents.workflow import State, Transition
from app.sla.clock import line_text
from app.sla.models import TaskSla
from app.tickets.holds import HoldReason
from tests.sla.conftest import at


def _records(db, incident):
    db.session.expire_all()
    query = select(TaskSla).where(TaskSla.ticket_id == incident.id).order_by(TaskSla.id)
    return list(db.session.scalars(query))


def test_ticket_at_16_with_4h_target_is_due_10_next_working_day(db, queue, make_incident, policy):
    desk = queue("Service Desk")
    policy(desk)
    # Friday 2026-03-06 16:00: two hours on Friday, two on Monday.
    incident = make_incident(assignment_group=desk, urgency=1, impact=1, now=at("2026-03-06 16:00"))
    (record,) = _records(db, incident)
    assert record.stage == "in_progress"
    assert record.priority == 1
    assert record.target_seconds == 4 * 3600
    assert record.due_at == at("2026-03-09 10:00")
    assert record.elapsed_seconds == 0
    assert record.next_check_at == at("2026-03-06 18:00")  # 50 % of 4 h: 2 h of business time


def test_pause_awaiting_caller_is_not_counted(db, queue, make_incident, make_user, policy):
    agent = make_user(roles=["agent"])
    desk = queue("Service Desk", members=(agent,))
    policy(desk)
    incident = make_incident(assignment_group=desk, impact=1, urgency=1, now=at("2026-03-02 09:00"))
    services.change_state(
        incident, Transition(State.IN_PROGRESS), actor=agent, now=at("2026-03-02 10:00")
    )
    hold = Transition(State.ON_HOLD, hold_reason=HoldReason.AWAITING_CALLER)
    services.change_state(incident, hold, actor=agent, now=at("2026-03-02 10:30"))
    db.session.commit()
    (record,) = _records(db, incident)
    assert record.stage == "paused"
    assert record.elapsed_seconds == 90 * 60
    assert record.due_at is None
    services.comment(
        incident, author=incident.caller, body="Here it is", public=True, now=at("2026-03-02 14:00")
    )
    db.session.commit()
    (record,) = _records(db, incident)
    assert record.stage == "in_progress"
    assert record.paused_seconds == 210 * 60
    assert record.elapsed_seconds == 90 * 60
    assert record.due_at == at("2026-03-02 16:30")  # 4 h − 1 h 30 min from 14:00
    assert any(
        "awaiting caller, 3 h 30 min of business time not counted" in line_text(line, UTC)
        for line in record.explanation
    )


def test_priority_change_keeps_time_already_spent(db, queue, make_incident, make_user, policy):
    agent = make_user(roles=["agent"])
    desk = queue("Service Desk", members=(agent,))
    policy(desk, targets={1: 120, 3: 480, 5: 960})
    incident = make_incident(assignment_group=desk, now=at("2026-03-02 09:00"))  # P5: 16 h
    assert incident.priority == 5
    (record,) = _records(db, incident)
    assert record.due_at == at("2026-03-03 15:00")
    incident = db.session.get(type(incident), incident.id)
    services.change_state(
        incident, Transition(State.IN_PROGRESS), actor=agent, now=at("2026-03-02 10:00")
    )
    db.session.commit()
    # An hour spent; raised to P1 (2 h): one hour left from 10:00.
    services.override_priority(incident, 1, reason="CEO", actor=agent)
    db.session.commit()
    (record,) = _records(db, incident)
    assert record.priority == 1
    assert record.target_seconds == 7200
    assert record.elapsed_seconds >= 3600


def test_reassignment_stops_the_old_queue_ola_and_starts_the_new_one(
    db, queue, make_incident, make_user, policy
):
    agent = make_user(roles=["agent"])
    desk = queue("Service Desk", members=(agent,))
    network = queue("Network")
    policy(desk)
    policy(network, targets={5: 120})
    incident = make_incident(assignment_group=desk, now=at("2026-03-02 09:00"))
    services.assign_incident(
        incident, group=network, assignee=None, actor=agent, now=at("2026-03-02 11:00")
    )
    db.session.commit()
    desk_ola, network_ola = _records(db, incident)
    assert (desk_ola.group_id, desk_ola.stage, desk_ola.stint) == (desk.id, "met", 1)
    assert desk_ola.elapsed_seconds == 2 * 3600
    assert desk_ola.stopped_at == at("2026-03-02 11:00")
    assert (network_ola.group_id, network_ola.stage) == (network.id, "in_progress")
    assert network_ola.started_at == at("2026-03-02 11:00")
    assert network_ola.due_at == at("2026-03-02 11:00") + timedelta(hours=2)


def test_retroactive_start_counts_from_the_opening(db, queue, make_incident, make_user, policy):
    agent = make_user(roles=["agent"])
    desk = queue("Service Desk", members=(agent,))
    policy(
        desk, name="Critical", scope="ticket", start_priorities=[1], retroactive_start=True,
        targets={1: 240},
    )  # fmt: skip
    incident = make_incident(assignment_group=desk, now=at("2026-03-02 09:00"))
    assert _records(db, incident) == []  # P5: the critical clock has not started
    incident = db.session.get(type(incident), incident.id)
    services.change_state(
        incident, Transition(State.IN_PROGRESS), actor=agent, now=at("2026-03-02 12:00")
    )
    db.session.commit()
    services.override_priority(incident, 1, reason="Whole site down", actor=agent)
    db.session.commit()
    (record,) = _records(db, incident)
    assert record.counted_from == at("2026-03-02 09:00")
    assert record.due_at == at("2026-03-02 13:00")  # 4 h from the opening, not from the raise


PARIS_OFFICE = [[["08:00", "12:00"], ["13:00", "17:00"]]] * 5 + [[], []]


def test_holidays_of_the_calendar_country_are_skipped(
    db, queue, make_incident, calendar_row, policy
):
    desk = queue("Service Desk")
    lyon = calendar_row(zone="Europe/Paris", week=PARIS_OFFICE, country="FR")
    policy(desk, calendar=lyon)
    # Monday 13 July 2026 16:00 Paris: 1 h that day, Tuesday 14 July is Bastille Day, so the
    # remaining 3 h run on Wednesday 08:00–11:00.
    incident = make_incident(assignment_group=desk, impact=1, urgency=1, now=at("2026-07-13 14:00"))
    (record,) = _records(db, incident)
    assert record.target_seconds == 4 * 3600
    assert record.due_at == at("2026-07-15 09:00")  # 11:00 in Paris (UTC+2)


def test_the_lunch_break_of_a_two_segment_day_is_not_counted(
    db, queue, make_incident, calendar_row, policy
):
    desk = queue("Service Desk")
    policy(desk, calendar=calendar_row(week=PARIS_OFFICE))  # UTC, 08–12 and 13–17
    incident = make_incident(assignment_group=desk, impact=1, urgency=1, now=at("2026-03-02 10:30"))
    (record,) = _records(db, incident)
    assert record.due_at == at("2026-03-02 15:30")  # 1 h 30 min + 2 h 30 min after lunch
    assert record.next_check_at == at("2026-03-02 13:30")  # 50 %: lunch skipped too


def test_a_dst_change_in_the_calendar_zone_moves_the_utc_due_time(
    db, queue, make_incident, calendar_row, policy
):
    desk = queue("Service Desk")
    paris = calendar_row(zone="Europe/Paris", week=[[["08:00", "18:00"]]] * 5 + [[], []])
    policy(desk, calendar=paris)
    # Friday 27 March 2026 16:00 Paris (UTC+1); the clocks go forward on Sunday 29 March. Due
    # Monday 10:00 Paris, which is now 08:00 UTC, not 09:00.
    incident = make_incident(assignment_group=desk, impact=1, urgency=1, now=at("2026-03-27 15:00"))
    (record,) = _records(db, incident)
    assert record.due_at == at("2026-03-30 08:00")


def test_a_pause_survives_a_change_of_the_policy(
    db, queue, make_incident, make_user, calendar_row, policy
):
    """The records are recomputed from the event log when the policy changes: time already
    paused stays paused, and the new target applies to the time elapsed so far."""
    from app.sla.definitions import PolicyInput, save_policy
    from app.sla.models import SlaKind, SlaPolicy, SlaScope

    agent = make_user(roles=["agent"])
    desk = queue("Service Desk", members=(agent,))
    office = calendar_row()
    rules = policy(desk, calendar=office, targets={5: 480})
    incident = make_incident(assignment_group=desk, now=at("2026-03-02 09:00"))
    hold = Transition(State.ON_HOLD, hold_reason=HoldReason.AWAITING_VENDOR)
    services.change_state(incident, hold, actor=agent, now=at("2026-03-02 10:00"))
    db.session.commit()
    # The owner shortens the P5 target to 6 h while the ticket waits on the vendor.
    shorter = PolicyInput(
        name=rules.name,
        kind=SlaKind.RESOLUTION,
        scope=SlaScope.GROUP,
        calendar_id=office.id,
        targets={1: 480, 2: 480, 3: 480, 4: 480, 5: 360},
        pause_reasons=["awaiting_vendor"],
        warnings=[50, 75],
    )
    row = db.session.get(SlaPolicy, rules.id)
    save_policy(row, shorter, group=desk, actor=agent, version=rules.version)
    db.session.commit()
    (record,) = _records(db, incident)
    assert (record.stage, record.target_seconds, record.elapsed_seconds) == (
        "paused",
        6 * 3600,
        3600,
    )
    services.change_state(
        incident, Transition(State.IN_PROGRESS), actor=agent, now=at("2026-03-02 14:00")
    )
    db.session.commit()
    (record,) = _records(db, incident)
    assert record.paused_seconds == 4 * 3600  # 10:00–14:00, kept across the policy change
    assert record.due_at == at("2026-03-03 09:00")  # 5 h left from 14:00: 4 h today, 1 h tomorrow


def test_reopen_runs_the_resolution_clock_again_without_the_resolved_time(
    app, db, queue, make_incident, make_user, policy
):
    agent = make_user(roles=["agent"])
    desk = queue("Service Desk", members=(agent,))
    policy(desk)
    incident = make_incident(assignment_group=desk, impact=1, urgency=1, now=at("2026-03-02 09:00"))
    resolve = Transition(State.RESOLVED, resolution_code="solved_remotely", resolution_notes="ok")
    services.change_state(incident, resolve, actor=agent, now=at("2026-03-02 10:00"))
    db.session.commit()
    (record,) = _records(db, incident)
    assert (record.stage, record.elapsed_seconds) == ("met", 3600)
    services.reopen_incident(
        incident,
        actor=incident.caller,
        reason="Still broken",
        window=services.reopen_window(app.config),
        now=at("2026-03-02 15:00"),
    )
    db.session.commit()
    (record,) = _records(db, incident)
    assert (record.stage, record.elapsed_seconds, record.stopped_at) == ("in_progress", 3600, None)
    assert record.due_at == at("2026-03-02 18:00")  # 3 h left from 15:00
    assert any("5 h 0 min of business time since the stop not counted" in line_text(line, UTC)
               for line in record.explanation)  # fmt: skip
