"""Who hears what: the rows the fan-out writes after a commit, for real changes made through
the incident services (both databases)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.incidents import services
from app.incidents.workflow import State, Transition
from app.notifications.models import Notification
from app.outbox.models import OutboxMessage
from app.tickets import services as tickets
from app.tickets.holds import HoldReason


def test_opening_and_assigning_tell_the_queue_and_the_assignee_not_the_actor(desk, sent):
    assert sent(desk.caller) == []  # a portal report: the caller sees the number on screen
    assert sent(desk.agent) == ["new_in_queue", "assigned_to_you"]
    assert sent(desk.colleague) == ["new_in_queue"]  # the colleague assigned it: not told


def test_a_public_reply_reaches_the_caller_and_watchers_with_its_text(db, desk, sent, make_user):
    watcher = make_user(email="watcher@example.org")
    tickets.watch(desk.incident, watcher)
    db.session.commit()
    services.comment(
        desk.incident, author=desk.agent, body="Try the tray on the left.", public=True
    )
    db.session.commit()
    assert sent(desk.caller) == ["public_reply"]
    assert sent(watcher) == ["public_reply"]
    assert "public_reply" not in sent(desk.agent)  # the author is never told of their reply
    note = sent(desk.caller, rows=True)[-1]
    assert note.summary.startswith(f"{desk.agent.display_name} replied on {desk.incident.number}")
    assert note.in_app
    assert note.read_at is None


def test_a_work_note_never_reaches_an_employee(db, desk, sent, make_user):
    employee = make_user(email="employee@example.org")
    staff = make_user(roles=["agent"])
    for person in (employee, staff):
        tickets.watch(desk.incident, person)
    db.session.commit()
    services.comment(desk.incident, author=desk.colleague, body="Vendor case 4411.", public=False)
    db.session.commit()
    assert sent(employee) == []
    assert sent(desk.caller) == []
    assert sent(staff) == ["work_note"]
    assert sent(desk.agent)[-1] == "work_note"


def test_the_caller_replying_tells_the_assignee(db, desk, sent):
    services.comment(desk.incident, author=desk.caller, body="Still jamming.", public=True)
    db.session.commit()
    assert sent(desk.agent)[-1] == "caller_replied"
    assert sent(desk.caller) == []


def test_states_the_caller_must_hear_of_and_a_reopen_tells_the_assignee(db, desk, sent):
    hold = Transition(State.ON_HOLD, hold_reason=HoldReason.AWAITING_CALLER)
    services.change_state(desk.incident, hold, actor=desk.agent)
    db.session.commit()
    services.change_state(desk.incident, Transition(State.IN_PROGRESS), actor=desk.agent)
    db.session.commit()
    resolve = Transition(
        State.RESOLVED, resolution_code="solved_permanently", resolution_notes="New roller."
    )
    services.change_state(desk.incident, resolve, actor=desk.agent)
    db.session.commit()
    # (and the satisfaction survey, sent on resolution by default: tests/surveys)
    assert sent(desk.caller) == ["waiting_for_you", "resolved", "survey"]
    services.change_state(desk.incident, Transition(State.IN_PROGRESS), actor=desk.caller)
    db.session.commit()
    assert sent(desk.agent)[-1] == "reopened"


def test_the_fan_out_run_twice_adds_nothing(db, desk, sent):
    from app.notifications.services import fan_out
    from app.tickets.models import TicketEvent

    services.comment(desk.incident, author=desk.agent, body="On my way.", public=True)
    db.session.commit()
    before = db.session.scalars(select(Notification.id).order_by(Notification.id)).all()
    event_ids = db.session.scalars(select(TicketEvent.id)).all()
    assert fan_out(event_ids) == []
    db.session.commit()
    assert db.session.scalars(select(Notification.id).order_by(Notification.id)).all() == before


def test_a_rolled_back_change_tells_nobody(db, desk, sent):
    messages = db.session.query(OutboxMessage).count()
    services.comment(desk.incident, author=desk.agent, body="Never sent.", public=True)
    db.session.rollback()
    db.session.commit()
    assert sent(desk.caller) == []
    assert db.session.query(OutboxMessage).count() == messages


def test_one_outbox_message_per_commit_whatever_the_number_of_watchers(db, desk, make_user):
    for n in range(12):
        tickets.watch(desk.incident, make_user(f"watcher{n}"))
    db.session.commit()
    before = db.session.query(OutboxMessage).filter_by(kind="notifications.fan_out").count()
    services.comment(desk.incident, author=desk.agent, body="Fixed.", public=True)
    db.session.commit()
    after = db.session.query(OutboxMessage).filter_by(kind="notifications.fan_out").count()
    assert after == before + 1
    count = db.session.query(Notification).filter_by(kind="public_reply").count()
    assert count == 13  # the caller and twelve watchers


@pytest.mark.demo("full")
def test_loading_the_demo_tells_nobody(db):
    assert db.session.query(Notification).count() == 0
    assert db.session.query(OutboxMessage).filter_by(kind="notifications.fan_out").count() == 0
