"""Logging a phone call in one form from the agent console: the incident is the caller's, opened
by the agent with the channel phone, given to a group and a person, and resolved at once when
it was solved on the call; every field a browser sends empty works or gets a field error, and a
refusal saves nothing."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app.incidents.models import Incident
from app.tickets.models import TicketEvent
from tests.requests.portal_helpers import field_error, flashed

SUBMISSION = re.compile(r'name="submission_token" type="hidden" value="([0-9a-f]{32})"')


def blank_form(**values: str) -> dict[str, str]:
    """Every field of the form as a browser sends it untouched (the checkbox is left out)."""
    form = {
        "caller": "",
        "channel": "phone",
        "short_description": "",
        "description": "",
        "impact": "3",
        "urgency": "3",
        "group": "",
        "assignee": "",
        "category": "",
        "subcategory": "",
        "affected_service": "",
        "cis": "",
        "resolution_code": "",
        "resolution_notes": "",
    }
    form.update(values)
    return form


def incidents(db) -> int:
    return db.session.scalar(select(func.count()).select_from(Incident))


@pytest.fixture
def desk(signed_in, make_user, queue):
    """An agent of the Service Desk queue signed in, and Emma, who calls."""
    client, agent = signed_in("agent", "employee")
    caller = make_user("emma", display_name="Emma Caller")
    group = queue("Service Desk", members=(agent,))
    return client, agent, caller, group


def test_the_console_offers_log_a_call(desk):
    client, *_ = desk
    console = client.get("/incidents/").get_data(as_text=True)
    assert 'href="/incidents/new?channel=phone"' in console
    page = client.get("/incidents/new?channel=phone").get_data(as_text=True)
    assert "<h1>Log a call</h1>" in page
    assert '<option selected value="phone">Phone</option>' in page
    assert "Resolved on the call" in page


def test_a_call_opens_a_phone_incident_for_the_caller(desk, db):
    client, agent, caller, group = desk
    token = SUBMISSION.search(client.get("/incidents/new?channel=phone").text)[1]
    form = blank_form(
        caller="emma",
        short_description="Printer on floor 3 jams",
        description="Every second page",
        impact="2",
        urgency="2",
        group=str(group.id),
        assignee=str(agent.id),
        submission_token=token,
    )
    response = client.post("/incidents/new", form)
    assert response.status_code == 302
    incident = db.session.scalar(select(Incident))
    assert response.location == f"/incidents/{incident.number}"
    page = client.get(response.location).get_data(as_text=True)
    assert flashed(page) == [f"{incident.number} opened for Emma Caller."]
    assert incident.channel.value == "phone"
    assert incident.caller_id == caller.id
    assert incident.opened_by_id == agent.id
    assert incident.assignment_group_id == group.id
    assert incident.assignee_id == agent.id
    assert incident.state == "in_progress"
    assert (incident.impact, incident.urgency) == (2, 2)
    assert client.post("/incidents/new", form).status_code == 303  # a replay opens nothing
    assert incidents(db) == 1


def test_a_call_resolved_on_the_call(desk, db):
    client, agent, caller, group = desk
    form = blank_form(
        caller="emma",
        short_description="Forgot how to share a calendar",
        resolved_on_call="y",
        resolution_code="user_instruction",
        resolution_notes="Showed her the sharing dialog.",
    )
    response = client.post("/incidents/new", form)
    assert response.status_code == 302
    incident = db.session.scalar(select(Incident))
    assert flashed(client.get(response.location).get_data(as_text=True)) == [
        f"{incident.number} opened and resolved for Emma Caller."
    ]
    assert incident.state == "resolved"
    assert incident.resolution_code == "user_instruction"
    assert incident.resolution_notes == "Showed her the sharing dialog."
    assert incident.resolved_at is not None
    assert incident.first_response_at == incident.resolved_at
    events = db.session.scalars(
        select(TicketEvent.type).where(TicketEvent.ticket_id == incident.id)
    ).all()
    assert "created" in events
    assert "state_changed" in events
    # The caller sees it solved, and may confirm or reopen it.
    client.login("emma")
    mine = client.get(f"/incidents/{incident.number}").get_data(as_text=True)
    assert "Showed her the sharing dialog." in mine


def test_an_untouched_form_gives_field_errors_and_saves_nothing(desk, db):
    client, *_ = desk
    response = client.post("/incidents/new", blank_form())
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert field_error(page, "caller") == "Who is calling?"
    assert field_error(page, "short_description") == "Describe it briefly."
    assert incidents(db) == 0


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"caller": "nobody-here"}, "caller", "No active person has this username."),
        ({"impact": ""}, "impact", "Not a valid choice."),
        ({"channel": ""}, "channel", "Not a valid choice."),
        ({"group": "999999"}, "group", "Choose from the list."),
        ({"group": "x"}, "group", "Choose from the list."),
        ({"assignee": "999999"}, "assignee", "Choose from the list."),
        (
            {"caller": "nobody-here", "group": "999999"},
            "caller",
            "No active person has this username.",
        ),
        ({"resolved_on_call": "y"}, "resolution_code", "Choose a resolution code."),
        ({"resolved_on_call": "y"}, "resolution_notes", "Describe how it was resolved."),
        (
            {"resolved_on_call": "y", "resolution_code": "made_up", "resolution_notes": "x"},
            "resolution_code",
            "Not a valid choice.",
        ),
    ],
)
def test_bad_fields_are_field_errors(desk, db, values, field, message):
    client, *_ = desk
    form = blank_form(**{"caller": "emma", "short_description": "Screen flickers", **values})
    response = client.post("/incidents/new", form)
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), field) == message
    assert incidents(db) == 0


def test_an_assignee_outside_the_group_is_refused_with_the_resolution_problems(desk, db, make_user):
    client, agent, caller, group = desk
    outsider = make_user(roles=["agent", "employee"], display_name="Olga Outsider")
    form = blank_form(
        caller="emma",
        short_description="VPN drops",
        group=str(group.id),
        assignee=str(outsider.id),
        resolved_on_call="y",
    )
    response = client.post("/incidents/new", form)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert field_error(page, "assignee") == "Olga Outsider is not in Service Desk."
    assert field_error(page, "resolution_notes") == "Describe how it was resolved."
    nobody = client.post("/incidents/new", {**form, "group": "", "resolved_on_call": ""})
    assert field_error(nobody.get_data(as_text=True), "group") == (
        "Choose the group the person works in."
    )
    assert incidents(db) == 0


def test_a_resolution_left_in_an_unchecked_form_is_ignored(desk, db):
    client, *_ = desk
    form = blank_form(
        caller="emma",
        short_description="Mouse broken",
        resolution_code="solved_permanently",
        resolution_notes="Typed, then the agent changed their mind",
    )
    assert client.post("/incidents/new", form).status_code == 302
    incident = db.session.scalar(select(Incident))
    assert incident.state == "new"
    assert incident.resolution_notes is None


def test_employees_cannot_log_calls(signed_in, db):
    client, _ = signed_in("employee")
    assert client.get("/incidents/new?channel=phone").status_code == 403
    assert client.post("/incidents/new", blank_form()).status_code == 403
