"""The bell, the list, opening a notification, marking all read, the preferences form (with
unchecked boxes absent, as a browser sends it) and the admins' settings (both databases)."""

from __future__ import annotations

import re

from app.incidents import services
from app.notifications.models import KindSetting, Preference
from tests.conftest import Client


def bell(client: Client) -> int:
    page = client.get("/notifications").get_data(as_text=True)
    found = re.search(r'aria-label="Notifications, (\d+) unread"', page)
    assert found, "no bell on the page"
    return int(found.group(1))


def reply(db, desk, text: str = "Try the left tray.") -> None:
    services.comment(desk.incident, author=desk.agent, body=text, public=True)
    db.session.commit()


def test_the_bell_counts_unread_and_opening_one_marks_it_read(db, client, desk, sent):
    client.login(desk.caller.username)
    assert bell(client) == 0
    reply(db, desk)
    reply(db, desk, "And the right one?")
    assert bell(client) == 2
    page = client.get("/notifications").get_data(as_text=True)
    assert f"replied on {desk.incident.number}" in page
    note = sent(desk.caller, rows=True)[0]
    response = client.get(f"/notifications/{note.id}")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/incidents/{desk.incident.number}"
    assert bell(client) == 1
    assert client.get(response.headers["Location"]).status_code == 200


def test_another_persons_notification_is_not_found(db, client, desk, sent, make_user):
    reply(db, desk)
    note = sent(desk.caller, rows=True)[0]
    client.login(make_user().username)
    assert client.get(f"/notifications/{note.id}").status_code == 404
    db.session.refresh(note)
    assert note.read_at is None


def test_mark_all_read(db, client, desk):
    reply(db, desk)
    client.login(desk.agent.username)  # new_in_queue and assigned_to_you wait
    assert bell(client) == 2
    response = client.post("/notifications/read")
    assert response.status_code == 302
    assert bell(client) == 0


def test_preferences_with_unchecked_boxes_turn_channels_off(db, client, desk, sent):
    client.login(desk.caller.username)
    page = client.get("/notifications/preferences").get_data(as_text=True)
    assert 'value="public_reply.in_app"' in page
    # Mandatory kinds are shown checked and disabled.
    assert re.search(r'value="resolved\.in_app"[^>]*checked[^>]*disabled', page, re.S)
    # The browser sends only the checked boxes: public replies by mail only.
    response = client.post(
        "/notifications/preferences", {"on": ["public_reply.mail", "resolved.in_app"]}
    )
    assert response.status_code == 302
    chosen = {
        (p.kind, p.channel): p.enabled
        for p in db.session.query(Preference).filter_by(user_id=desk.caller.id)
    }
    assert chosen[("public_reply", "in_app")] is False
    assert chosen[("public_reply", "mail")] is True
    assert ("resolved", "in_app") not in chosen  # mandatory: not the person's to turn off
    reply(db, desk)
    note = sent(desk.caller, rows=True)[-1]
    assert note.kind == "public_reply"
    assert note.in_app is False  # mail only
    assert bell(client) == 0


def test_a_kind_turned_off_entirely_writes_no_row(db, client, desk, sent):
    client.login(desk.caller.username)
    client.post("/notifications/preferences", {"on": []})
    reply(db, desk)
    assert sent(desk.caller) == []


def test_a_mandatory_kind_cannot_be_turned_off(db, client, desk, sent):
    from app.incidents.workflow import State, Transition

    client.login(desk.caller.username)
    client.post("/notifications/preferences", {"on": []})  # everything unchecked
    resolve = Transition(
        State.RESOLVED, resolution_code="solved_permanently", resolution_notes="Replaced."
    )
    services.change_state(desk.incident, resolve, actor=desk.agent)
    db.session.commit()
    assert sent(desk.caller) == ["resolved"]


def test_settings_are_for_admins_and_a_kind_off_tells_nobody(app, db, client, desk, sent):
    employee = Client(app.test_client())
    employee.login(desk.caller.username)
    assert employee.get("/notifications/settings").status_code == 403
    assert employee.post("/notifications/settings", {"on": []}).status_code == 403
    client.login(desk.admin.username)
    page = client.get("/notifications/settings").get_data(as_text=True)
    assert 'value="public_reply.enabled"' in page
    from app.notifications.rules import KINDS

    everything_but_replies = [
        f"{name}.{field}"
        for name in KINDS
        for field in ("enabled", "in_app", "mail")
        if name != "public_reply"
    ]
    response = client.post("/notifications/settings", {"on": everything_but_replies})
    assert response.status_code == 302
    assert db.session.get(KindSetting, "public_reply").enabled is False
    assert db.session.get(KindSetting, "resolved").mandatory is False  # unchecked: not mandatory
    reply(db, desk)
    assert sent(desk.caller) == []


def test_an_admin_turning_a_kind_mandatory_overrides_a_persons_choice(db, client, desk, sent):
    client.login(desk.caller.username)
    client.post("/notifications/preferences", {"on": []})
    db.session.merge(KindSetting(kind="public_reply", enabled=True, mandatory=True, in_app=True))
    db.session.commit()
    reply(db, desk)
    assert sent(desk.caller) == ["public_reply"]


def test_a_requester_follows_a_task_waiting_for_them_on_their_request(
    db, client, org, make_item, place, sent
):
    from app.requests.fulfilment import services as fulfilment
    from app.requests.states import TaskState

    item = place(make_item())
    task = item.tasks[0]
    fulfilment.assign_task(task, group=org.queue, assignee=org.ivan, actor=org.ivan)
    db.session.commit()
    fulfilment.change_task_state(
        task, TaskState.ON_HOLD, actor=org.ivan, hold_reason="awaiting_caller"
    )
    db.session.commit()
    note = sent(org.kim, rows=True)[-1]
    assert note.kind == "waiting_for_you"
    client.login(org.kim.username)
    response = client.get(f"/notifications/{note.id}")
    assert response.headers["Location"] == f"/requests/{item.number}"
    assert client.get(response.headers["Location"]).status_code == 200


def test_the_preferences_show_each_person_the_kinds_of_their_roles(db, app, client, desk):
    client.login(desk.caller.username)
    page = client.get("/notifications/preferences").get_data(as_text=True)
    assert 'value="public_reply.in_app"' in page
    assert 'value="approval_needed.mail"' in page  # anyone may be asked to approve
    assert "assigned_to_you" not in page
    assert "work_note" not in page
    assert "major_proposed" not in page
    agent = Client(app.test_client())
    agent.login(desk.agent.username)
    page = agent.get("/notifications/preferences").get_data(as_text=True)
    assert 'value="assigned_to_you.in_app"' in page
    assert 'value="new_in_queue.digest"' in page
    assert "major_proposed" not in page
