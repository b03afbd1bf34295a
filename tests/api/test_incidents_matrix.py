"""Who may do what to incidents through the API: exactly what the pages allow.

The owner is the incident's caller (an employee); other employees, service owners and
administrators who are not IT staff do not learn that it exists (404, as its page answers
them); operations of IT staff are refused to everybody else (403)."""

from __future__ import annotations

import io
from typing import Any

import pytest

from tests.api.authz import ROLES, Case, World, run

#: Those who see the owner's incident and those who get 404 for it.
SEEING = {"owner": 200, "agent": 200, "employee": 404, "service_owner": 404, "admin": 404}


def _incident(world: World) -> dict[str, Any]:
    incident = world.fixture("make_incident")(world.owner)
    return {"number": incident.number, "etag": f'"incident-{incident.id}-v{incident.version}"'}


def _resolved(world: World) -> dict[str, Any]:
    from app.incidents import services
    from app.incidents.workflow import State, Transition

    incident = world.fixture("make_incident")(world.owner)
    change = Transition(State.RESOLVED, resolution_code="duplicate", resolution_notes="Same")
    services.change_state(incident, change, actor=None)
    world.fixture("db").session.commit()
    return {"number": incident.number}


def _with_file(world: World) -> dict[str, Any]:
    from app.tickets import attachments

    incident = world.fixture("make_incident")(world.owner)
    db = world.fixture("db")
    found = attachments.store_bytes(
        incident,
        data=b"log",
        filename="log.txt",
        content_type="text/plain",
        uploader=world.owner,
        internal=False,
    )
    db.session.commit()
    return {"number": incident.number, "attachment": found.id}


def _file() -> dict[str, Any]:
    return {"file": (io.BytesIO(b"screenshot"), "screen.png")}


REPORTERS = {"owner": 201, "employee": 201, "agent": 201, "service_owner": 201, "admin": 201}
CASES = [
    Case(
        "incidents_api.list_incidents",
        "GET",
        "/api/v1/incidents",
        expect={"owner": 200, "employee": 200, "agent": 200, "service_owner": 200, "admin": 200},
    ),
    Case(
        "incidents_api.create_incident",
        "POST",
        "/api/v1/incidents",
        json={"short_description": "The coffee machine speaks Klingon"},
        expect=REPORTERS,
    ),
    Case(
        "incidents_api.read_incident",
        "GET",
        "/api/v1/incidents/{number}",
        setup=_incident,
        expect=SEEING,
    ),
    Case(
        "incidents_api.update_incident",
        "PATCH",
        "/api/v1/incidents/{number}",
        setup=_incident,
        json={"urgency": 2},
        if_match="etag",
        expect={"agent": 200},  # IT staff's form: everybody else 403, the caller too
    ),
    Case(
        "incidents_api.transition_incident",
        "POST",
        "/api/v1/incidents/{number}/transitions",
        setup=_incident,
        json={"state": "in_progress"},
        if_match="etag",
        expect={"agent": 200},
    ),
    Case(
        "incidents_api.confirm_incident",
        "POST",
        "/api/v1/incidents/{number}/confirm",
        setup=_resolved,
        expect={**SEEING, "agent": 403},  # the caller's decision
    ),
    Case(
        "incidents_api.reopen_incident",
        "POST",
        "/api/v1/incidents/{number}/reopen",
        setup=_resolved,
        json={"reason": "It is back"},
        expect={**SEEING, "agent": 403},
    ),
    Case(
        "incidents_api.list_comments",
        "GET",
        "/api/v1/incidents/{number}/comments",
        setup=_incident,
        expect=SEEING,
    ),
    Case(
        "incidents_api.add_comment",
        "POST",
        "/api/v1/incidents/{number}/comments",
        setup=_incident,
        json={"body": "Any news?"},
        expect={**SEEING, "owner": 201, "agent": 201},
    ),
    Case(
        "incidents_api.list_attachments",
        "GET",
        "/api/v1/incidents/{number}/attachments",
        setup=_incident,
        expect=SEEING,
    ),
    Case(
        "incidents_api.download_attachment",
        "GET",
        "/api/v1/incidents/{number}/attachments/{attachment}",
        setup=_with_file,
        expect=SEEING,
    ),
    Case(
        "incidents_api.upload_attachment",
        "POST",
        "/api/v1/incidents/{number}/attachments",
        setup=_incident,
        multipart=_file,
        expect={**SEEING, "owner": 201, "agent": 201},
    ),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", CASES, ids=str)
def test_incident_operations(case: Case, role: str, api_client, request) -> None:
    run(case, role, request)
