"""How many SQL statements the incident page and opening an incident cost.

The bounds are today's counts (``bench/incidents.py`` records them beside the timings); a
change that adds a statement to these paths fails here and has to say why. Everything a
request runs is counted, including what happens after its commit (the outbox delivers inline
when ``REDIS_URL`` is unset, as in the tests).
"""

from __future__ import annotations

import re

import pytest

from app.incidents import services
from tests.conftest import count_queries

PAGE_BOUND = 16  # the agent's incident page


def reads(statements: list[str], table: str) -> list[str]:
    return [s for s in statements if re.search(rf"\bFROM {table}\b", s)]


@pytest.fixture
def desk(signed_in, make_user, queue, make_incident, db):
    client, agent = signed_in("agent", "employee")
    group = queue("Service Desk", members=(agent,))
    caller = make_user("emma", display_name="Emma Caller")
    incident = make_incident(caller=caller, assignment_group=group)
    services.assign_incident(incident, group=group, assignee=agent, actor=agent)
    db.session.commit()
    return client, agent, caller, group, incident


def test_the_incident_page_reads_each_thing_once(desk):
    client, agent, _caller, _group, incident = desk
    client.get(f"/incidents/{incident.number}")
    with count_queries() as page:
        response = client.get(f"/incidents/{incident.number}")
    assert response.status_code == 200
    assert "Emma Caller" in response.text
    assert len(page) <= PAGE_BOUND, "\n".join(page)
    # The matrix in one statement, the signed-in agent's roles once, the incident once.
    assert len(reads(page, "priority_scales")) == 1
    assert len(reads(page, "role_grants")) == 1
    assert len([s for s in page if "WHERE tickets.number" in s]) == 1
