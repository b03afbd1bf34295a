"""Fulfilment: tasks in stages (in order and in parallel), items and requests closing, the
task lifecycle, the SLA machinery on tasks, the directory-group automation without write
credentials; on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.errors import Conflict, Invalid
from app.incidents import services as incident_services
from app.requests import services
from app.requests.models import Automation
from app.requests.ordering.services import OrderLine
from app.requests.states import CloseCode, ItemState, TaskState
from app.tickets import services as tickets
from app.tickets.models import EntryKind
from tests.requests.conftest import event_types


@pytest.fixture
def plan(db, org, queue, make_item):
    """An item whose plan is: stage 1 two parallel tasks (the fulfilment group and Network),
    then stage 2 one task."""
    network = queue("Network", members=(org.iris,))
    return make_item(
        task_template=[
            {"stage": 2, "name": "Hand over"},
            {"stage": 1, "name": "Order hardware"},
            {"stage": 1, "name": "Open firewall", "group_id": network.id},
        ]
    ), network


def close(db, task, agent, code="complete", notes=None):
    services.change_task_state(
        task, TaskState.CLOSED, actor=agent, close_code=code, close_notes=notes
    )
    db.session.commit()


def test_stages_run_in_order_and_tasks_of_a_stage_in_parallel(db, org, plan, place):
    item_def, network = plan
    item = place(item_def)
    assert [(t.stage, t.short_description, t.assignment_group_id) for t in item.tasks] == [
        (1, "Order hardware", org.queue.id),
        (1, "Open firewall", network.id),
    ]
    close(db, item.tasks[0], org.ivan)
    assert len(item.tasks) == 2  # stage 2 waits for the whole of stage 1
    close(db, item.tasks[1], org.iris)
    assert [t.short_description for t in item.tasks] == [
        "Order hardware",
        "Open firewall",
        "Hand over",
    ]
    assert item.state == ItemState.IN_PROGRESS
    close(db, item.tasks[2], org.ivan)
    assert item.state == ItemState.CLOSED
    assert item.close_code == CloseCode.COMPLETE
    assert services.item_status(item) == "Delivered"
    assert item.request.state == "closed"
    assert item.request.close_code == CloseCode.COMPLETE


def test_an_incomplete_task_stops_the_plan(db, org, plan, place):
    item = place(plan[0])
    close(db, item.tasks[0], org.ivan, "incomplete", "Out of stock")
    close(db, item.tasks[1], org.iris)
    assert len(item.tasks) == 2
    assert item.close_code == CloseCode.INCOMPLETE
    assert services.item_status(item).startswith("Closed without delivery")


def test_a_skipped_task_counts_as_done(db, org, make_item, place):
    item = place(make_item(task_template=[{"stage": 1, "name": "Maybe"}]))
    close(db, item.tasks[0], org.ivan, "skipped", "Already had it")
    assert item.close_code == CloseCode.COMPLETE


def test_the_request_closes_when_all_its_items_are_done(db, org, make_item):
    one, two = make_item(), make_item()
    request = services.order(
        orderer=org.kim,
        requested_for=org.kim,
        lines=[OrderLine(one, {"model": "13 inch"}), OrderLine(two, {"model": "13 inch"})],
    )
    db.session.commit()
    close(db, request.items[0].tasks[0], org.ivan)
    assert request.state == "open"
    close(db, request.items[1].tasks[0], org.ivan)
    assert request.state == "closed"


@pytest.mark.parametrize(
    ("target", "values", "field"),
    [
        (TaskState.ON_HOLD, {}, "hold_reason"),
        (TaskState.ON_HOLD, {"hold_reason": "awaiting_godot"}, "hold_reason"),
        (TaskState.CLOSED, {}, "close_code"),
        (TaskState.CLOSED, {"close_code": "rejected"}, "close_code"),
        (TaskState.CLOSED, {"close_code": "incomplete"}, "close_notes"),
        (TaskState.NEW, {}, "state"),
    ],
)
def test_bad_task_moves_are_refused(db, org, make_item, place, target, values, field):
    task = place(make_item()).tasks[0]
    with pytest.raises(Invalid) as refused:
        services.change_task_state(task, target, actor=org.ivan, **values)
    assert field in refused.value.field_errors
    db.session.rollback()
    assert task.state == TaskState.NEW


def test_a_closed_task_cannot_move_or_be_reassigned(db, org, make_item, place):
    task = place(make_item()).tasks[0]
    close(db, task, org.ivan)
    with pytest.raises(Conflict):
        services.change_task_state(task, TaskState.IN_PROGRESS, actor=org.ivan)
    with pytest.raises(Conflict):
        services.assign_task(task, group=org.queue, assignee=org.ivan, actor=org.ivan)


def test_task_work_records_the_events_the_sla_clock_reads(db, org, make_item, place, queue):
    task = place(make_item()).tasks[0]
    with pytest.raises(Invalid):  # Ivan is not in that group
        services.assign_task(task, group=queue("Elsewhere"), assignee=org.ivan, actor=org.gina)
    services.assign_task(task, group=org.queue, assignee=org.ivan, actor=org.gina)
    services.change_task_state(task, TaskState.IN_PROGRESS, actor=org.ivan)
    services.change_task_state(
        task, TaskState.ON_HOLD, actor=org.ivan, hold_reason="awaiting_vendor"
    )
    services.comment(task, author=org.ivan, body="Chased the vendor", public=False)
    close(db, task, org.ivan)
    assert event_types(db, task) == [
        "created",
        "assigned",
        "assigned",
        "state_changed",
        "state_changed",
        "commented",
        "state_changed",
    ]
    assert task.first_response_at is not None


def test_tasks_get_sla_records_from_their_queues_policies(db, org, make_item, place):
    from app.sla.models import SlaCalendar, SlaPolicy, TaskSla

    calendar = SlaCalendar(name="Always", zone="UTC", week=[[["00:00", "24:00"]]] * 7)
    db.session.add(calendar)
    db.session.add(
        SlaPolicy(
            name="Task resolution",
            group_id=org.queue.id,
            calendar=calendar,
            kind="resolution",
            ticket_kind="catalog_task",
            targets={str(p): 480 for p in range(1, 6)},
        )
    )
    db.session.commit()
    item = place(make_item())
    task = item.tasks[0]
    records = db.session.scalars(select(TaskSla).where(TaskSla.ticket_id.in_([task.id, item.id])))
    assert [(r.ticket_id, r.stage.value) for r in records] == [(task.id, "in_progress")]
    close(db, task, org.ivan)
    record = db.session.scalar(select(TaskSla).where(TaskSla.ticket_id == task.id))
    assert record.stage.value == "met"


def test_replies_on_an_item_flag_the_caller_and_count_the_first_response(db, org, make_item, place):
    item = place(make_item())
    services.comment(item, author=org.kim, body="Any news?", public=True)
    assert item.caller_replied_at is not None
    assert item.first_response_at is None
    services.comment(item, author=org.ivan, body="Ordered today", public=True)
    db.session.commit()
    assert item.caller_replied_at is None
    assert item.first_response_at is not None
    with pytest.raises(Invalid):
        services.comment(item, author=org.kim, body=" ", public=True)


def test_a_reply_on_a_task_goes_to_the_requester_and_a_work_note_stays(db, org, make_item, place):
    """A service (callable without a request): the requester never sees tasks, so a public
    reply written on one lands on its request item."""
    item = place(make_item())
    task = item.tasks[0]
    reply = services.reply_on_task(task, author=org.ivan, body="Ordered today", public=True)
    work_note = services.reply_on_task(task, author=org.ivan, body="PO 4711", public=False)
    assert (reply.ticket_id, reply.kind) == (item.id, EntryKind.REPLY)
    assert (work_note.ticket_id, work_note.kind) == (task.id, EntryKind.WORK_NOTE)
    assert item.first_response_at is not None
    with pytest.raises(Invalid):
        services.reply_on_task(task, author=org.ivan, body=" ", public=False)


@pytest.mark.parametrize(
    ("body", "message"),
    [("  ", "This field is required."), ("x" * 20_001, "Keep it under 20000 characters.")],
)
def test_incidents_and_requests_check_a_reply_with_the_same_words(
    db, org, make_item, place, body, message
):
    """One text check for every kind of ticket (``tickets.checked_text``)."""
    item = place(make_item())
    incident = incident_services.open_incident(
        caller=org.kim, opened_by=org.kim, short_description="Printer jammed"
    )
    refusals = []
    for service, ticket in ((services.comment, item), (incident_services.comment, incident)):
        with pytest.raises(Invalid) as refused:
            service(ticket, author=org.ivan, body=body, public=True)
        refusals.append(refused.value.field_errors)
    assert refusals == [{"body": [message]}] * 2
    assert tickets.checked_text("reason", "  Because  ", required=True, limit=10) == "Because"


def place_group_join(make_item, place, group):
    """An order of an item that joins the orderer to the directory group ``group`` once their
    manager approves (no questions)."""
    return place(
        make_item(
            variables=[],
            automation=Automation.DIRECTORY_GROUP,
            automation_group_id=group.id,
            approval_policy=[{"kind": "manager"}],
        ),
        answers={},
    )


def test_directory_group_without_write_credentials_leaves_a_task_with_the_error(
    db, org, make_item, place, queue
):
    staff = queue("VPN users", directory_dn="cn=vpn,ou=groups,dc=example,dc=org")
    org.kim.directory_dn = "uid=kim,ou=people,dc=example,dc=org"
    db.session.commit()
    item = place_group_join(make_item, place, staff)
    assert item.tasks == []  # nothing happens before the approval
    services.decide(item.approvals[0], actor=org.ann, approve=True)
    db.session.commit()
    assert item.state == ItemState.IN_PROGRESS
    (task,) = item.tasks
    assert task.stage == 0
    assert task.assignment_group_id == org.queue.id
    assert "No directory is configured" in task.description
    notes = [e.body for e in task.journal if e.kind == EntryKind.WORK_NOTE]
    assert notes
    assert "No directory is configured" in notes[0]
    assert "automation_failed" in event_types(db, item)
    close(db, task, org.ivan)
    assert item.close_code == CloseCode.COMPLETE


def test_directory_group_names_what_is_missing(db, org, make_item, place, queue):
    local = queue("Local only")
    item = place(
        make_item(
            variables=[
                {
                    "name": "directory_group",
                    "label": "Group",
                    "type": "choice",
                    "choices": [local.name],
                }
            ],
            automation=Automation.DIRECTORY_GROUP,
        ),
        answers={"directory_group": local.name},
    )
    assert "does not come from the directory" in item.tasks[0].description


def test_the_directory_change_reads_in_each_readers_language(
    app, client, db, org, make_item, place, queue, monkeypatch
):
    """What the directory did is kept as a stored message on the item's journal (worded in each
    reader's language), and the requester reads the item's progress in theirs."""
    from flask_babel import force_locale

    from app.auth.directory import write
    from app.ui import explained
    from tests.requests.portal_helpers import sign_in_as

    group_dn, kim_dn = "cn=vpn,ou=groups,dc=example,dc=org", "uid=kim,ou=people,dc=example,dc=org"
    staff = queue("VPN users", directory_dn=group_dn)
    org.kim.directory_dn = kim_dn
    db.session.commit()
    monkeypatch.setattr(
        write,
        "add_group_member",
        lambda _config, group, member: write.MembershipChange(
            write.ADDED, group, member, "member", member, "ldap.example.org:389"
        ),
    )
    item = place_group_join(make_item, place, staff)
    services.decide(item.approvals[0], actor=org.ann, approve=True)
    db.session.commit()
    (done,) = [e for e in item.journal if "automation" in e.changes]
    assert done.body == f"Added {kim_dn} to {group_dn} (member)."
    for language, words in (
        ("sv", f"Lade till {kim_dn} i {group_dn} (member)."),
        ("en", f"Added {kim_dn} to {group_dn} (member)."),
    ):
        with app.test_request_context(), force_locale(language):
            assert str(explained(done.message)) == words

    tickets.add_entry(
        item, EntryKind.CHANGE, None, "Approved before the upgrade.", {"state": ["a", "b"]}
    )
    db.session.commit()
    sign_in_as(client, org.kim)
    for language, words in (("sv", "Godkänt: arbetet börjar."), ("en", "Approved: the work")):
        org.kim.language = language
        db.session.commit()
        page = client.get(f"/requests/{item.request.number}").get_data(as_text=True)
        assert words in page
        assert "Approved before the upgrade." in page


def test_a_missing_directory_entry_is_worded_in_the_agents_language(
    client, db, org, make_item, place, queue
):
    local = queue("Local only")
    item = place(
        make_item(
            variables=[], automation=Automation.DIRECTORY_GROUP, automation_group_id=local.id
        ),
        answers={},
    )
    (task,) = item.tasks
    task_reads(
        client, db, org.ivan, task,
        sv="Automatiseringsfel: Gruppen Local only kommer inte från katalogen.",
        en="Automation error: The group Local only does not come from the directory.",
    )  # fmt: skip


def task_reads(client, db, agent, task, old: str = "", **said: str) -> None:
    """The task's page, read by ``agent`` in each language of ``said``, shows what is said
    for it (and ``old``, a note stored before as plain English)."""
    client.login(agent.username)
    for language, words in said.items():
        agent.language = language
        db.session.commit()
        page = client.get(f"/requests/tasks/{task.number}").get_data(as_text=True)
        assert words in page
        assert old in page


def failed_directory_task(db, org, make_item, place, queue):
    """The manual task of an item whose directory change failed (no directory configured)."""
    staff = queue("VPN users", directory_dn="cn=vpn,ou=groups,dc=example,dc=org")
    org.kim.directory_dn = "uid=kim,ou=people,dc=example,dc=org"
    db.session.commit()
    item = place(
        make_item(
            variables=[], automation=Automation.DIRECTORY_GROUP, automation_group_id=staff.id
        ),
        answers={},
    )
    (task,) = item.tasks
    return task


def test_a_directory_write_error_is_worded_in_the_agents_language(
    client, db, org, make_item, place, queue
):
    """Why the directory did not change is a stored message: the task's note reads in each
    agent's language; a note stored before as plain English shows as it is."""
    task = failed_directory_task(db, org, make_item, place, queue)
    tickets.add_entry(task, EntryKind.WORK_NOTE, None, "Automation error: stored before.")
    db.session.commit()
    task_reads(
        client, db, org.ivan, task,
        sv="Automatiseringsfel: Ingen katalog är konfigurerad (LDAP_URL är inte satt).",
        en="Automation error: No directory is configured (LDAP_URL is not set).",
        old="Automation error: stored before.",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("desk", "name", "error"),
    [
        ("sv", "Lägg till Kim", "Fel: Ingen katalog är konfigurerad (LDAP_URL är inte satt)."),
        ("en", "Add Kim", "Error: No directory is configured (LDAP_URL is not set)."),
    ],
)
def test_the_manual_task_is_written_in_the_desks_language(
    app, client, db, org, make_item, place, queue, monkeypatch, desk, name, error
):
    """The task left to a person is ticket text written once, for every agent: in the desk's
    default language, whatever the language of the agent who reads it."""
    monkeypatch.setitem(app.config, "DESKGRAPH_LANGUAGE", desk)
    task = failed_directory_task(db, org, make_item, place, queue)
    assert task.short_description.startswith(name)
    assert error in task.description
    org.ivan.language = "en"
    db.session.commit()
    client.login(org.ivan.username)
    page = client.get(f"/requests/tasks/{task.number}").get_data(as_text=True)
    assert name in page
