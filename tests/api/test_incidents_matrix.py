"""Who may do what to incidents through the API: exactly what the pages allow."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.authz import ROLES, Case, World, run


def _incident(world: World) -> dict[str, Any]:
    incident = world.fixture("make_incident")(world.owner)
    return {"number": incident.number, "etag": f'"incident-{incident.id}-v{incident.version}"'}


CASES = [
    Case(
        "incidents_api.list_incidents",
        "GET",
        "/api/v1/incidents",
        expect={"owner": 200, "employee": 200, "agent": 200, "service_owner": 200, "admin": 200},
    ),
    Case(
        "incidents_api.read_incident",
        "GET",
        "/api/v1/incidents/{number}",
        setup=_incident,
        # Others than the owner and agents do not learn it exists: 404, as in the pages.
        expect={"owner": 200, "employee": 404, "agent": 200, "service_owner": 404, "admin": 404},
    ),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", CASES, ids=str)
def test_incident_operations(case: Case, role: str, api_client, request) -> None:
    run(case, role, request)
