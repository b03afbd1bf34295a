"""Who may post alerts through the API: IT staff (the monitoring's service account holds the
agent role), as the alert pages allow."""

from __future__ import annotations

import pytest

from tests.api.authz import ROLES, Case, run

CASES = [
    Case(
        "alerts_api.post_alerts",
        "POST",
        "/api/v1/alerts",
        json={"source": "matrix", "alerts": [{"status": "firing", "summary": "Down"}]},
        expect={"agent": 200, "admin": 200},
    ),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", CASES, ids=str)
def test_alert_operations(case: Case, role: str, api_client, request) -> None:
    run(case, role, request)
