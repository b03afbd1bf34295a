"""Response SLAs are a property of the ticket: measured once from the opening to the first
response, by the first queue that held the ticket unanswered. Reassignments neither restart the
clock nor start another queue's; ``flask sla replay --fix`` repairs records the old per-stint
rule left behind."""

from __future__ import annotations

from sqlalchemy import select

from app.incidents import services
from app.sla.models import SlaPolicy, TaskSla
from app.sla.replay import replay
from tests.sla.conftest import at


def _response_records(db, ticket_id):
    db.session.expire_all()
    query = (
        select(SlaPolicy.group_id, TaskSla.stint, TaskSla.stage, TaskSla.elapsed_seconds)
        .join(SlaPolicy, SlaPolicy.id == TaskSla.policy_id)
        .where(TaskSla.ticket_id == ticket_id, TaskSla.kind == "response")
        .order_by(TaskSla.id)
    )
    return [tuple(row) for row in db.session.execute(query)]


def test_reassignment_does_not_restart_the_response_clock(
    db, queue, make_user, make_incident, policy
):
    agent = make_user(roles=["agent"])
    desk, network = queue("Service Desk", members=(agent,)), queue("Network", members=(agent,))
    apps = queue("Applications", members=(agent,))
    for group in (desk, network, apps):
        policy(group, kind="response", name="First response", targets={5: 120})
    incident = make_incident(assignment_group=desk, now=at("2026-03-02 09:00"))
    # Moved on unanswered: still the desk's response clock, running from the opening.
    services.assign_incident(
        incident, group=network, assignee=None, actor=agent, now=at("2026-03-02 09:30")
    )
    db.session.commit()
    assert _response_records(db, incident.id) == [(desk.id, 0, "in_progress", 30 * 60)]
    services.comment(incident, author=agent, body="On it", public=True, now=at("2026-03-02 10:00"))
    db.session.commit()
    # Answered, then moved twice more, back to the desk too: nothing restarts, nothing is added.
    for group, when in ((apps, "2026-03-02 11:00"), (desk, "2026-03-02 12:00")):
        services.assign_incident(incident, group=group, assignee=None, actor=agent, now=at(when))
        db.session.commit()
    assert _response_records(db, incident.id) == [(desk.id, 0, "met", 60 * 60)]
    assert replay([incident.id]) == []


def test_a_ticket_first_queued_elsewhere_answers_to_the_first_queue_with_a_response_sla(
    db, queue, make_user, make_incident, policy
):
    agent = make_user(roles=["agent"])
    triage, network = queue("Triage", members=(agent,)), queue("Network", members=(agent,))
    policy(network, kind="response", name="First response", targets={5: 60})
    incident = make_incident(assignment_group=triage, now=at("2026-03-02 09:00"))
    assert _response_records(db, incident.id) == []
    services.assign_incident(
        incident, group=network, assignee=None, actor=agent, now=at("2026-03-02 09:45")
    )
    services.comment(incident, author=agent, body="On it", public=True, now=at("2026-03-02 10:15"))
    db.session.commit()
    # Counted from the opening (whole ticket), not from the reassignment: breached at 10:00.
    ((group_id, stint, stage, elapsed),) = _response_records(db, incident.id)
    assert (group_id, stint, stage, elapsed) == (network.id, 0, "breached", 75 * 60)


def test_replay_fix_repairs_per_stint_response_records(
    app, db, queue, make_user, make_incident, policy
):
    agent = make_user(roles=["agent"])
    desk, network = queue("Service Desk", members=(agent,)), queue("Network", members=(agent,))
    policy(desk, kind="response", name="First response", targets={5: 120})
    network_response = policy(network, kind="response", name="First response", targets={5: 120})
    incident = make_incident(assignment_group=desk, now=at("2026-03-02 09:00"))
    services.comment(incident, author=agent, body="Hi", public=True, now=at("2026-03-02 09:10"))
    services.assign_incident(
        incident, group=network, assignee=None, actor=agent, now=at("2026-03-02 11:00")
    )
    db.session.commit()
    # What the old per-stint rule stored: the network stint's "response clock", restarted.
    db.session.add(
        TaskSla(
            ticket_id=incident.id,
            policy_id=network_response.id,
            stint=1,
            group_id=network.id,
            kind="response",
            stage="in_progress",
            started_at=at("2026-03-02 11:00"),
            computed_as_of=at("2026-03-02 11:00"),
        )
    )
    db.session.commit()
    assert [(d.policy, d.field, d.replayed) for d in replay([incident.id])] == [
        ("First response", "record", None)
    ]
    runner = app.test_cli_runner()
    assert runner.invoke(args=["sla", "replay"]).exit_code == 1
    fixed = runner.invoke(args=["sla", "replay", "--fix"])
    assert fixed.exit_code == 0, fixed.output
    assert "Fixed: 1 record(s) of 1 ticket(s) recomputed." in fixed.output
    assert replay() == []
    assert _response_records(db, incident.id) == [(desk.id, 0, "met", 10 * 60)]
