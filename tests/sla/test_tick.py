"""``flask sla tick``: warnings and breaches recorded once as ticket events, escalations applied
once, a second run changes nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from app.incidents import services
from app.incidents.models import Incident
from app.incidents.workflow import State, Transition
from app.sla.jobs import run_tick
from app.sla.models import TaskSla
from app.tickets.models import TicketEvent
from tests.sla.conftest import at


def _events(db, ticket_id, prefix="sla_"):
    db.session.expire_all()
    query = (
        select(TicketEvent.type, TicketEvent.data)
        .where(TicketEvent.ticket_id == ticket_id, TicketEvent.type.startswith(prefix))
        .order_by(TicketEvent.id)
    )
    return [(t, d) for t, d in db.session.execute(query)]


def _tick(db, when):
    report = run_tick(at(when))
    db.session.commit()
    return report


def test_warnings_and_breach_are_recorded_once(db, queue, make_incident, policy):
    desk = queue("Service Desk")
    policy(desk, targets={5: 240})  # Monday 09:00 + 4 h: 50 % at 11:00, 75 % at 12:00, due 13:00
    incident = make_incident(assignment_group=desk, now=at("2026-03-02 09:00"))
    assert _tick(db, "2026-03-02 10:59").warnings == 0
    assert _events(db, incident.id) == []
    report = _tick(db, "2026-03-02 11:00")
    assert (report.warnings, report.breaches) == (1, 0)
    assert _tick(db, "2026-03-02 11:00").warnings == 0
    assert _tick(db, "2026-03-02 11:30").warnings == 0
    report = _tick(db, "2026-03-02 14:00")
    assert (report.warnings, report.breaches) == (1, 1)
    events = _events(db, incident.id)
    assert [(t, d.get("threshold")) for t, d in events] == [
        ("sla_warning", 50),
        ("sla_warning", 75),
        ("sla_breached", None),
    ]
    assert events[2][1]["breached_at"].startswith("2026-03-02T13:00")
    again = _tick(db, "2026-03-02 14:00")
    assert (again.warnings, again.breaches, again.escalations) == (0, 0, [])
    assert len(_events(db, incident.id)) == 3
    (record,) = db.session.scalars(select(TaskSla).where(TaskSla.ticket_id == incident.id))
    assert (record.stage, record.notified_level, record.warning_level) == ("breached", 1.0, 1.0)


def test_a_paused_clock_does_not_warn(db, queue, make_incident, make_user, policy):
    agent = make_user(roles=["agent"])
    desk = queue("Service Desk", members=(agent,))
    policy(desk, targets={5: 240})
    incident = make_incident(assignment_group=desk, now=at("2026-03-02 09:00"))
    hold = Transition(State.ON_HOLD, hold_reason="awaiting_caller")
    services.change_state(incident, hold, actor=agent, now=at("2026-03-02 10:00"))
    db.session.commit()
    assert _tick(db, "2026-03-03 17:00").warnings == 0
    assert _events(db, incident.id) == []


def test_escalation_notifies_the_group_manager_once(db, queue, make_user, make_incident, policy):
    manager = make_user(roles=["agent"])
    desk = queue("Service Desk", manager_id=manager.id)
    policy(desk, targets={5: 60}, escalation="notify_manager")
    incident = make_incident(assignment_group=desk, now=at("2026-03-02 09:00"))
    report = _tick(db, "2026-03-02 12:00")
    assert report.escalations == [f"{incident.number}: notify_manager"]
    _tick(db, "2026-03-02 13:00")
    escalations = [d for t, d in _events(db, incident.id) if t == "sla_escalated"]
    assert len(escalations) == 1
    assert escalations[0]["notify"] == manager.id


def test_escalation_raises_priority_by_one(db, queue, make_incident, policy):
    desk = queue("Service Desk")
    policy(desk, targets={4: 60, 5: 60}, escalation="raise_priority")
    incident = make_incident(assignment_group=desk, now=at("2026-03-02 09:00"))
    assert incident.priority == 5
    _tick(db, "2026-03-02 12:00")
    _tick(db, "2026-03-02 12:00")
    db.session.expire_all()
    assert db.session.get(Incident, incident.id).priority == 4  # once, not twice
    changes = _events(db, incident.id, prefix="priority_changed")
    assert [(d["old"], d["new"]) for _t, d in changes] == [(5, 4)]


def test_escalation_reassigns_and_starts_the_new_queue_ola(
    db, queue, make_incident, make_user, policy
):
    desk, second = queue("Service Desk"), queue("Second line")
    policy(desk, targets={5: 60}, escalation="reassign", escalation_group_id=second.id)
    policy(second)
    incident = make_incident(assignment_group=desk, now=at("2026-03-02 09:00"))
    _tick(db, "2026-03-02 12:00")
    db.session.expire_all()
    moved = db.session.get(Incident, incident.id)
    assert moved.assignment_group_id == second.id
    records = db.session.scalars(
        select(TaskSla).where(TaskSla.ticket_id == incident.id).order_by(TaskSla.id)
    ).all()
    assert [(r.group_id, r.stage) for r in records] == [
        (desk.id, "breached"),
        (second.id, "in_progress"),
    ]
    assert records[1].started_at == at("2026-03-02 12:00")
    assert _tick(db, "2026-03-02 12:00").escalations == []


def test_cli_tick_runs_twice_without_change(app, db, queue, make_incident, policy):
    desk = queue("Service Desk")
    policy(desk, targets={5: 1})
    make_incident(assignment_group=desk, now=at("2026-03-02 09:00"))
    runner = app.test_cli_runner()
    first = runner.invoke(args=["sla", "tick"])
    assert first.exit_code == 0, first.output
    assert "1 breach(es)" in first.output
    second = runner.invoke(args=["sla", "tick"])
    assert "0 warning(s), 0 breach(es), 0 escalation(s)" in second.output
    count = db.session.scalar(
        select(func.count()).select_from(TicketEvent).where(TicketEvent.type == "sla_breached")
    )
    assert count == 1
