"""A replayed form post (double click, the browser's resend) creates nothing twice: creating
forms carry a one-time submission token, and a replay is sent to what the first post made."""

# The fixtures are imported by name, so arguments of that name redefine them.
# ruff: noqa: F811

from __future__ import annotations

import re

from sqlalchemy import func, select

from app.incidents.models import Incident
from app.requests.models import ServiceRequest
from app.tickets.models import JournalEntry
from tests.incidents.conftest import make_incident  # noqa: F401  (fixture)
from tests.requests.conftest import make_item, org  # noqa: F401  (fixtures)
from tests.requests.portal_helpers import sign_in_as

TOKEN = re.compile(r'name="submission_token" type="hidden" value="([0-9a-f]{32})"')


def token_of(page) -> str:
    return TOKEN.search(page.get_data(as_text=True))[1]


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_replayed_problem_report_creates_one_incident(signed_in, db):
    client, _ = signed_in("employee")
    form = {
        "short_description": "VPN drops every hour",
        "urgency": "2",
        "submission_token": token_of(client.get("/incidents/report")),
    }
    first = client.post("/incidents/report", form)
    assert first.status_code == 302
    again = client.post("/incidents/report", form)
    assert again.status_code == 303
    assert again.location == "/incidents/mine"
    page = client.get(again.location).get_data(as_text=True)
    assert "This form was already sent, and what it created is saved. Here it is." in page
    assert "VPN drops every hour" in page
    assert count(db, Incident) == 1
    json_replay = client.post("/incidents/report", form, headers={"Accept": "application/json"})
    assert json_replay.status_code == 409
    assert count(db, Incident) == 1


def test_a_refused_submission_can_be_corrected_and_sent(signed_in, db):
    client, _ = signed_in("employee")
    token = token_of(client.get("/incidents/report"))
    refused = client.post(
        "/incidents/report", {"short_description": "", "urgency": "2", "submission_token": token}
    )
    assert refused.status_code == 422
    assert token_of(refused) == token  # the form keeps its token for the corrected post
    sent = client.post(
        "/incidents/report",
        {"short_description": "Now with words", "urgency": "2", "submission_token": token},
    )
    assert sent.status_code == 302
    assert count(db, Incident) == 1


def test_a_replayed_reply_is_added_once(signed_in, make_incident, db):
    client, employee = signed_in("employee")
    incident = make_incident(caller=employee)
    page = client.get(f"/incidents/{incident.number}")
    form = {"body": "It happened again", "submission_token": token_of(page)}
    before = count(db, JournalEntry)
    assert client.post(f"/incidents/{incident.number}/comment", form).status_code == 302
    again = client.post(f"/incidents/{incident.number}/comment", form)
    assert again.status_code == 303
    assert again.location == f"/incidents/{incident.number}"
    assert count(db, JournalEntry) == before + 1


def test_a_replayed_order_creates_one_request(client, db, org, make_item):
    item = make_item("Laptop replacement")
    sign_in_as(client, org.kim)
    form = {
        "cart-0-form": str(item.form.id),
        "lines-0-model": "15 inch",
        "requested_for": str(org.kim.id),
        "submission_token": token_of(client.get(f"/requests/catalog/{item.id}")),
    }
    assert client.post(f"/requests/catalog/{item.id}", form).status_code == 302
    again = client.post(f"/requests/catalog/{item.id}", form)
    assert again.status_code == 303
    assert again.location == "/requests/mine"
    request = db.session.scalar(select(ServiceRequest))
    assert request.number in client.get(again.location).get_data(as_text=True)
    assert count(db, ServiceRequest) == 1
