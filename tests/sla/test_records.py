"""The session hook keeps task SLA records current; replay finds nothing after normal work and
reports a tampered or stale record; ``flask sla replay`` exits non-zero on a difference."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import render_template
from sqlalchemy import select, update

from app.i18n.stored import is_stored
from app.incidents import services
from app.incidents.workflow import State, Transition
from app.sla import replay as replay_module
from app.sla.clock import line_text, stored_parts
from app.sla.models import TaskSla
from app.sla.services import refresh_ticket_slas, sla_summaries
from app.tickets.holds import HoldReason
from tests.sla.conftest import at


def _records(db, ticket_id):
    db.session.expire_all()
    query = select(TaskSla).where(TaskSla.ticket_id == ticket_id).order_by(TaskSla.id)
    return list(db.session.scalars(query))


def _work(db, queue, make_user, make_incident, policy):
    agent = make_user(roles=["agent"])
    desk, network = queue("Service Desk", members=(agent,)), queue("Network")
    policy(desk, targets={5: 240})
    policy(desk, kind="response", scope="ticket", name="First response", targets={5: 60})
    policy(network)
    incident = make_incident(assignment_group=desk, now=at("2026-03-02 09:00"))
    services.comment(incident, author=agent, body="On it", public=True, now=at("2026-03-02 09:20"))
    hold = Transition(State.ON_HOLD, hold_reason=HoldReason.AWAITING_VENDOR)
    services.change_state(incident, hold, actor=agent, now=at("2026-03-02 10:00"))
    services.change_state(
        incident, Transition(State.IN_PROGRESS), actor=agent, now=at("2026-03-02 15:00")
    )
    services.assign_incident(
        incident, group=network, assignee=None, actor=agent, now=at("2026-03-03 09:00")
    )
    resolve = Transition(State.RESOLVED, resolution_code="solved_remotely", resolution_notes="Done")
    services.change_state(incident, resolve, actor=agent, now=at("2026-03-03 10:00"))
    db.session.commit()
    return incident, agent


def test_the_hook_writes_records_in_the_committing_transaction(db, queue, make_incident, policy):
    desk = queue("Service Desk")
    policy(desk)
    incident = make_incident(assignment_group=desk, now=at("2026-03-02 09:00"))
    assert len(_records(db, incident.id)) == 1
    # A change rolled back leaves the records as they were (and nothing pending).
    services.change_state(
        incident, Transition(State.CANCELED), actor=None, now=at("2026-03-02 10:00")
    )
    db.session.flush()
    db.session.rollback()
    (record,) = _records(db, incident.id)
    assert record.stage == "in_progress"
    services.change_state(
        db.session.get(type(incident), incident.id),
        Transition(State.CANCELED),
        actor=None,
        now=at("2026-03-02 10:00"),
    )
    db.session.commit()
    (record,) = _records(db, incident.id)
    assert record.stage == "cancelled"
    assert record.computed_as_of == at("2026-03-02 10:00")


def test_records_after_a_day_of_work(db, queue, make_user, make_incident, policy):
    incident, _agent = _work(db, queue, make_user, make_incident, policy)
    records = {(r.policy.name, r.stint): r for r in _records(db, incident.id)}
    assert set(records) == {
        ("Service Desk resolution", 1),
        ("First response", 0),
        ("Network resolution", 1),
    }
    response = records[("First response", 0)]
    assert (response.stage, response.elapsed_seconds) == ("met", 20 * 60)
    desk = records[("Service Desk resolution", 1)]
    # 09:00–10:00 counted, 10:00–15:00 paused awaiting vendor, 15:00–18:00 counted: 4 h = breach.
    assert desk.stage == "breached"
    assert desk.paused_seconds == 5 * 3600
    assert desk.breached_at == at("2026-03-02 18:00")
    assert desk.stopped_at == at("2026-03-03 09:00")
    network = records[("Network resolution", 1)]
    assert (network.stage, network.elapsed_seconds) == ("met", 3600)
    summaries = sla_summaries([incident.id], now=at("2026-03-04 09:00"))[incident.id]
    assert sorted((s.name, s.stage, s.breached) for s in summaries) == [
        ("First response", "met", False),
        ("Network resolution", "met", False),
        ("Service Desk resolution", "breached", True),
    ]


def test_replay_finds_no_difference_after_normal_work(db, queue, make_user, make_incident, policy):
    incident, _agent = _work(db, queue, make_user, make_incident, policy)
    assert replay_module.replay() == []
    assert replay_module.replay([incident.id]) == []


def test_replay_reports_a_tampered_record_and_a_stale_one(
    app, db, queue, make_user, make_incident, policy
):
    incident, _agent = _work(db, queue, make_user, make_incident, policy)
    db.session.execute(
        update(TaskSla)
        .where(TaskSla.ticket_id == incident.id, TaskSla.stint == 0)
        .values(elapsed_seconds=1)
    )
    db.session.commit()
    differences = replay_module.replay([incident.id])
    assert [(d.ticket, d.policy, d.field) for d in differences] == [
        (incident.number, "First response", "elapsed_seconds")
    ]
    assert (differences[0].stored, differences[0].replayed) == (1, 20 * 60)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["sla", "replay", "--ticket", incident.number])
    assert result.exit_code == 1
    assert "elapsed_seconds stored 1, replayed 1200" in result.output
    refresh_ticket_slas([incident.id])
    db.session.commit()
    result = runner.invoke(args=["sla", "replay"])
    assert result.exit_code == 0, result.output
    assert runner.invoke(args=["sla", "replay", "--ticket", "INC404"]).exit_code == 1


def test_replay_reports_a_missing_record(db, queue, make_incident, policy):
    desk = queue("Service Desk")
    policy(desk)
    incident = make_incident(assignment_group=desk, now=at("2026-03-02 09:00"))
    db.session.execute(TaskSla.__table__.delete().where(TaskSla.ticket_id == incident.id))
    db.session.commit()
    (difference,) = replay_module.replay([incident.id])
    assert (difference.field, difference.replayed) == ("record", "missing")


def test_replay_reports_records_older_than_the_event_log(db, queue, make_incident, policy):
    from sqlalchemy import insert

    from app.tickets.models import TicketEvent

    desk = queue("Service Desk")
    policy(desk)
    incident = make_incident(assignment_group=desk, now=at("2026-03-02 09:00"))
    # An event written behind the ORM's back (a bulk import): the hook never saw it.
    db.session.execute(
        insert(TicketEvent).values(
            ticket_id=incident.id, type="state_changed", created_at=at("2026-03-02 10:00"),
            data={"old": "new", "new": "canceled", "hold_reason": None},
        )
    )  # fmt: skip
    db.session.commit()
    differences = replay_module.replay([incident.id])
    assert [d.field for d in differences] == ["computed_as_of"]
    assert "events until 2026-03-02T10:00" in str(differences[0])
    refresh_ticket_slas([incident.id])
    db.session.commit()
    assert replay_module.replay([incident.id]) == []
    assert _records(db, incident.id)[0].stage == "cancelled"


def test_explanations_stored_before_they_were_messages_still_replay_and_show(
    app, db, queue, make_user, make_incident, policy
):
    """Records written before explanations were messages hold lines of text and instants, or
    (before that) plain lines on the calendar's wall clock: replay accepts them when they read
    the same, pages show them."""
    incident, _agent = _work(db, queue, make_user, make_incident, policy)
    record = db.session.scalars(
        select(TaskSla).where(TaskSla.ticket_id == incident.id).order_by(TaskSla.id)
    ).first()
    assert all(is_stored(line) for line in record.explanation)
    zone = ZoneInfo(record.policy.calendar.zone)
    texts = [line_text(line, zone) for line in record.explanation]
    assert texts[0].startswith("started 2026-")
    # Text and instants: the "started" line as the clock wrote it before.
    opened = datetime.fromisoformat(record.explanation[0]["args"]["at"]["at"])
    rest = " (opened)" + texts[0].split(" (opened)", 1)[1]
    parts_line = stored_parts(("started ", opened, rest))
    record.explanation = [parts_line, *texts[1:]]
    db.session.commit()
    assert replay_module.replay([incident.id]) == []
    with app.test_request_context():
        slas = sla_summaries([incident.id])[incident.id]
        html = render_template("sla/_ticket_sla.html", slas=slas)
    assert f'<time datetime="{opened.strftime("%Y-%m-%dT%H:%M:%SZ")}">' in html
    assert rest in html
    record.explanation = texts
    db.session.commit()
    assert replay_module.replay([incident.id]) == []
    record.explanation = [*texts[:-1], texts[-1] + " (edited)"]
    db.session.commit()
    (difference,) = replay_module.replay([incident.id])
    assert difference.field == "explanation"
    assert difference.replayed == texts
    with app.test_request_context():
        slas = sla_summaries([incident.id])[incident.id]
        html = render_template("sla/_ticket_sla.html", slas=slas)
    assert texts[0] in html
