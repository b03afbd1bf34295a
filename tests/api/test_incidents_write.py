"""Reporting, editing, moving and commenting on incidents through the API: the pages' services
and rules, with ETags for optimistic locking."""

from __future__ import annotations

import io

from sqlalchemy import select


def _read(api, number):
    response = api.get(f"/api/v1/incidents/{number}")
    assert response.status_code == 200
    return response.get_json(), response.headers["ETag"]


def test_an_employee_reports_an_incident_for_themselves(api_client):
    api, me = api_client("employee")
    response = api.post("/api/v1/incidents", json={"short_description": "VPN drops", "urgency": 2})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["caller"]["username"] == me.username
    assert body["channel"] == "api"
    assert body["impact"] == 3
    assert response.headers["Location"] == f"/api/v1/incidents/{body['number']}"
    assert _read(api, body["number"])[0]["short_description"] == "VPN drops"


def test_an_employee_may_not_set_what_only_it_staff_set(api_client, make_user):
    api, _ = api_client("employee")
    other = make_user(roles=["employee"])
    response = api.post(
        "/api/v1/incidents",
        json={"short_description": "Not mine", "caller": other.username, "impact": 1},
    )
    assert response.status_code == 403
    assert "caller" in response.get_json()["detail"]


def test_an_agent_opens_for_a_caller_edits_and_resolves_with_etags(api_client, make_user):
    caller = make_user(roles=["employee"])
    api, _agent = api_client("agent")
    created = api.post(
        "/api/v1/incidents",
        json={"short_description": "Mail down", "caller": caller.username, "impact": 1},
    ).get_json()
    number = created["number"]
    _, etag = _read(api, number)
    edited = api.patch(
        f"/api/v1/incidents/{number}",
        json={"urgency": 1, "category": "Email"},
        headers={"If-Match": etag},
    )
    assert edited.status_code == 200, edited.get_json()
    assert edited.get_json()["category"] == "Email"
    assert edited.headers["ETag"] != etag
    # The old ETag is stale now: 412, and nothing is saved.
    stale = api.patch(
        f"/api/v1/incidents/{number}", json={"category": "Other"}, headers={"If-Match": etag}
    )
    assert stale.status_code == 412
    assert stale.mimetype == "application/problem+json"
    assert _read(api, number)[0]["category"] == "Email"
    # Without If-Match: 428.
    assert api.patch(f"/api/v1/incidents/{number}", json={"urgency": 2}).status_code == 428
    _, etag = _read(api, number)
    resolved = api.post(
        f"/api/v1/incidents/{number}/transitions",
        json={
            "state": "resolved",
            "resolution_code": "solved_permanently",
            "resolution_notes": "Restarted the mail relay.",
        },
        headers={"If-Match": etag},
    )
    assert resolved.status_code == 200, resolved.get_json()
    assert resolved.get_json()["state"] == "resolved"
    assert resolved.get_json()["resolved_at"].endswith("Z")


def test_the_workflow_refuses_with_field_errors_and_saves_nothing(api_client, make_incident):
    api, agent = api_client("agent")
    incident = make_incident(agent)
    _, etag = _read(api, incident.number)
    response = api.post(
        f"/api/v1/incidents/{incident.number}/transitions",
        json={"state": "resolved"},
        headers={"If-Match": etag},
    )
    assert response.status_code == 422
    fields = {e["field"] for e in response.get_json()["errors"]}
    assert fields == {"resolution_code", "resolution_notes"}
    assert _read(api, incident.number)[0]["state"] == "new"


def test_the_caller_confirms_and_reopens_their_incident(api_client, make_incident, db):
    from app.incidents import services
    from app.incidents.workflow import State, Transition

    api, me = api_client("employee")
    incident = make_incident(me)
    services.change_state(
        incident,
        Transition(State.RESOLVED, resolution_code="solved_remotely", resolution_notes="Done"),
        actor=None,
    )
    db.session.commit()
    reopened = api.post(
        f"/api/v1/incidents/{incident.number}/reopen", json={"reason": "It is back"}
    )
    assert reopened.status_code == 200, reopened.get_json()
    assert reopened.get_json()["state"] == "in_progress"
    # Not resolved any more: nothing to confirm.
    assert api.post(f"/api/v1/incidents/{incident.number}/confirm").status_code == 422
    # Transitions are IT staff's.
    assert (
        api.post(
            f"/api/v1/incidents/{incident.number}/transitions", json={"state": "closed"}
        ).status_code
        == 403
    )


def test_work_notes_are_for_it_staff_only(api_client, make_incident):
    employee_api, me = api_client("employee")
    incident = make_incident(me)
    agent_api, _ = api_client("agent")
    url = f"/api/v1/incidents/{incident.number}/comments"
    note = agent_api.post(url, json={"body": "Looks like the relay", "kind": "work_note"})
    assert note.status_code == 201
    reply = agent_api.post(url, json={"body": "We are on it"})
    assert reply.get_json()["kind"] == "reply"
    assert employee_api.post(url, json={"body": "x", "kind": "work_note"}).status_code == 403
    assert employee_api.post(url, json={"body": "Thanks!"}).status_code == 201
    seen_by_employee = [c["body"] for c in employee_api.get(url).get_json()["items"]]
    assert "We are on it" in seen_by_employee
    assert "Thanks!" in seen_by_employee
    assert "Looks like the relay" not in seen_by_employee
    seen_by_agent = [c["body"] for c in agent_api.get(url).get_json()["items"]]
    assert "Looks like the relay" in seen_by_agent


def test_files_are_attached_listed_and_downloaded(api_client, make_incident, db):
    from app.tickets.models import Attachment

    api, me = api_client("employee")
    incident = make_incident(me)
    url = f"/api/v1/incidents/{incident.number}/attachments"
    uploaded = api.post(
        url,
        data={"file": (io.BytesIO(b"error log line"), "error.log")},
        content_type="multipart/form-data",
    )
    assert uploaded.status_code == 201, uploaded.get_json()
    found = uploaded.get_json()
    assert found["filename"] == "error.log"
    assert [a["id"] for a in api.get(url).get_json()["items"]] == [found["id"]]
    download = api.get(f"{url}/{found['id']}")
    assert download.status_code == 200
    assert download.data == b"error log line"
    assert (
        api.post(
            url + "?internal=true",
            data={"file": (io.BytesIO(b"secret"), "notes.txt")},
            content_type="multipart/form-data",
        ).status_code
        == 403
    )
    # JSON is not how files are sent.
    assert api.post(url, json={"file": "x"}).status_code == 415
    assert len(db.session.scalars(select(Attachment)).all()) == 1
