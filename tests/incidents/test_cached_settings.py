"""Opening an incident in a request reads the settings the process cached at the desk
settings' revision (``app.settings_cache``) instead of the database: not the priority matrix,
not the routing rules, and not the SLA policies while none is active. The bounds on the whole
opening are in ``test_statement_counts``."""

# ruff: noqa: F811

from __future__ import annotations

import re

from tests.conftest import count_queries
from tests.incidents.test_phone_call import blank_form
from tests.sla.conftest import calendar_row, policy  # noqa: F401  (fixtures)

SETTINGS = ("priority_scales", "priority_levels", "priority_cells", "routing_rules")


def reads(statements: list[str], *tables: str) -> list[str]:
    return [s for s in statements if any(re.search(rf"\bFROM {t}\b", s) for t in tables)]


def report(client, what: str = "Teams crashes") -> list[str]:
    with count_queries() as statements:
        response = client.post("/incidents/report", {"short_description": what, "urgency": "2"})
    assert response.status_code == 302
    return statements


def test_an_employee_s_report_reads_no_settings_once_they_are_cached(signed_in, db):
    client, _employee = signed_in("employee")
    client.get("/incidents/report")
    report(client)  # the process caches the matrix and the rules, and that no policy is active
    statements = report(client, "Teams crashes again")
    assert not reads(statements, *SETTINGS), "\n".join(reads(statements, *SETTINGS))
    assert not reads(statements, "sla_policies")
    # The token they were checked against came with the employee and their roles.
    (token_read,) = reads(statements, "settings_revision")
    assert token_read == statements[0]
    assert "role_grants" in token_read


def test_an_agent_s_call_into_a_queue_reads_no_matrix_once_cached(signed_in, queue, db):
    client, agent = signed_in("agent")
    group = queue("Service Desk", members=(agent,))
    client.get("/incidents/new")
    form = blank_form(caller=agent.username, short_description="Printer jams", group=str(group.id))
    client.post("/incidents/new", form)
    with count_queries() as statements:
        response = client.post("/incidents/new", form | {"short_description": "Printer again"})
    assert response.status_code == 302
    assert not reads(statements, *SETTINGS, "sla_policies")


def test_an_active_policy_is_read_when_there_is_one(signed_in, queue, policy, db):
    client, _employee = signed_in("employee")
    client.get("/incidents/report")
    report(client)
    policy(queue("Service Desk"))  # a write of the settings: the next request reads again
    assert reads(report(client, "Teams crashes again"), "sla_policies")
    policies = reads(report(client, "Teams crashes once more"), "sla_policies")
    assert len(policies) == 1  # that one is active is cached; the policies are read
    assert "sla_policies.targets" in policies[0]
    assert not reads(report(client, "And again"), *SETTINGS)
