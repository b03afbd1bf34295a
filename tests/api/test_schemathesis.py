"""Generated requests for every operation of ``/api/openapi.json`` (schemathesis): no server
error, and every response conforms to the document (status, content type, body, headers), for
an administrator's token and an employee's. Examples are bounded so it stays under a minute."""

from __future__ import annotations

import contextvars
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
EXAMPLES = 12


def _run(operation: Any, token: str, number: str) -> None:
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def check(case: Any) -> None:
        if "number" in (case.path_parameters or {}):
            case.path_parameters["number"] = number  # a real incident: past the 404
        headers = {"Authorization": f"Bearer {token}"}
        # Each request in its own context, as in a server (its own g and session).
        response = contextvars.Context().run(case.call, headers=headers)
        case.validate_response(response, checks=CHECKS, headers=headers)

    check()


@pytest.mark.parametrize("role", ["admin", "employee"])
def test_every_operation_answers_as_documented(app, api_client, make_incident, role):
    api, user = api_client(role, "agent" if role == "admin" else "employee")
    incident = make_incident(user)  # something to list, find and change
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 12
    for operation in operations:
        _run(operation, api.token, incident.number)
