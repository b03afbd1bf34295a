"""How many SQL statements the incident page and opening an incident cost.

The bounds are today's counts (``bench/incidents.py`` records them beside the timings); a
change that adds a statement to these paths fails here and has to say why. Everything a
request runs is counted, including what happens after its commit (the outbox delivers inline
when ``REDIS_URL`` is unset, as in the tests).
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app.db import is_postgresql
from app.incidents import services
from app.incidents.models import Incident
from tests.conftest import count_queries
from tests.incidents.test_phone_call import blank_form

PAGE_BOUND = 4  # the agent's incident page (its option lists and the matrix cached: settings22)
# Opening writes the report rollups too: the daily row and, since the per-channel rollup, its
# channel row (one INSERT ... ON CONFLICT each on SQLite; with the facts, one on PostgreSQL).
# Opening reads no choice list nor the caller's roles, one SLA policy read serves the SLA and
# the reports, and the new ticket's report facts and search document come from memory (open20).
# The caller, the group and the assignee come in one statement; the routing rules with the
# matrix; on PostgreSQL the report facts and the rollups they move are one write (open20b).
# The notifications' and the webhooks' fan-out messages are one INSERT (outbox22). The matrix,
# the routing rules and "is any SLA policy active?" come from the settings cache (settings22):
# both openings are counted after a first one filled it, as in a worker that has served a few.
# On PostgreSQL fewer: no FTS rows, the facts and their rollups one write, and that write, the
# search document and the outbox messages one statement at the commit (commit22).
OPEN_BOUND = {"sqlite": 30, "postgresql": 23}  # an agent logs a call for a caller, into a queue
REPORT_BOUND = {"sqlite": 21, "postgresql": 15}  # an employee reports a problem


def bound(db, bounds: dict[str, int]) -> int:
    return bounds["postgresql" if is_postgresql(db.session) else "sqlite"]


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
    # The matrix and the form's option lists come from the settings cache (the first page
    # read them); the signed-in agent's roles once, the incident once.
    assert reads(page, "priority_scales") == []
    assert [s for s in page if "incident_categories" in s or "group_members" in s] == []
    assert len([s for s in page if "role_grants" in s]) == 1
    assert len([s for s in page if "WHERE tickets.number" in s]) == 1
    # What the incident has (CIs, files, children, watchers, SLA records) comes with it.
    assert [s for s in page if "FROM incident_cis" in s] == [
        s for s in page if "WHERE tickets.number" in s
    ]
    # The agent and their roles come in one statement; the bell and the approvals waiting
    # beside "My approvals" in another; an incident not opened by monitoring has no alerts.
    assert [s for s in page if "role_grants" in s] == reads(page, "users")[:1]
    counts = reads(page, "notifications")
    assert len(counts) == 1
    assert counts == reads(page, "approvals")
    assert not reads(page, "alerts")


def test_opening_an_incident_reads_each_thing_once(desk, db):
    client, _agent, _caller, group, _incident = desk
    form = blank_form(
        caller="emma", short_description="Printer on floor 3 jams", group=str(group.id)
    )
    client.get("/incidents/new")
    assert client.post("/incidents/new", form).status_code == 302  # the settings cached
    client.get("/incidents/new")
    with count_queries() as opened:
        response = client.post("/incidents/new", form)
    assert response.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Incident)) == 3
    assert len(opened) <= bound(db, OPEN_BOUND), "\n".join(opened)
    # The matrix and "is any SLA policy active?" come from the settings cache.
    assert reads(opened, "priority_scales") == []
    assert reads(opened, "sla_policies") == []
    # No SLA policy is active: the SLA records are not read at all.
    assert not reads(opened, "task_slas")
    # It names no category and nobody in the group: neither list is read to check it.
    assert not reads(opened, "incident_categories")
    assert not [s for s in opened if "users.display_name" in s and "group_members" in s]
    # Nor the groups: the chosen one is read by its id. The caller comes without their roles.
    assert not [s for s in opened if "WHERE groups.is_assignment_group" in s]
    (caller_read,) = [i for i, s in enumerate(opened) if "WHERE users.username" in s]
    assert "role_grants" not in opened[caller_read] + opened[caller_read + 1]


def test_a_refused_call_shows_every_choice_again(desk, db):
    from app.incidents.models import Category

    client, agent, _caller, group, _incident = desk
    db.session.add(Category(name="Printing"))
    db.session.commit()
    client.get("/incidents/new")
    form = blank_form(caller="nobody", short_description="Printer jams", group=str(group.id))
    refused = client.post("/incidents/new", form)
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert f">{agent.display_name}</option>" in page  # the group's people
    assert ">Printing</option>" in page  # the categories


def test_reporting_a_problem_is_not_read_back_after_its_commit(signed_in, db):
    client, _employee = signed_in("employee")
    report = {"short_description": "Teams crashes", "urgency": "2"}
    client.get("/incidents/report")
    assert client.post("/incidents/report", report).status_code == 302  # the settings cached
    client.get("/incidents/report")
    with count_queries() as reported:
        response = client.post("/incidents/report", report)
    assert response.status_code == 302
    number = db.session.scalar(select(func.max(Incident.number)))
    assert response.location == f"/incidents/{number}"
    assert len(reported) <= bound(db, REPORT_BOUND), "\n".join(reported)
    assert not [s for s in reported if "WHERE tickets.number" in s or "incidents.id AS" in s]
    # Routed by the rules, which come with the matrix from the settings cache; no group read.
    assert reads(reported, "routing_rules") == reads(reported, "priority_scales") == []
    assert not reads(reported, "groups")


def test_the_page_still_shows_what_the_incident_has(desk, make_incident, make_user, make_ci, db):
    """The page reads the CIs, files, children and watchers only when the incident has some:
    one that has each still shows each."""
    from app.tickets import attachments
    from app.tickets import services as tickets

    client, agent, caller, group, incident = desk
    make_ci("mail-gw-01", "server")
    parent = make_incident(caller=caller, assignment_group=group, ci_names=["mail-gw-01"])
    services.set_parent(incident, parent, actor=agent)
    tickets.watch(parent, make_user("wanda", display_name="Wanda Watcher"))
    attachments.store_bytes(
        parent,
        data=b"log line\n",
        filename="gateway.log",
        content_type="text/plain",
        uploader=agent,
        internal=True,
    )
    db.session.commit()
    page = client.get(f"/incidents/{parent.number}").get_data(as_text=True)
    assert "mail-gw-01" in page
    assert "gateway.log" in page
    assert incident.number in page  # its child
    assert "Wanda Watcher" in page


def test_the_queue_reads_no_roles_but_the_agents_own(desk, make_incident, db):
    client, _agent, caller, group, _incident = desk
    for n in range(3):
        make_incident(caller=caller, assignment_group=group, short_description=f"Disk {n}")
    db.session.commit()
    client.get("/incidents/?view=all")
    with count_queries() as page:
        response = client.get("/incidents/?view=all")
    assert response.status_code == 200
    assert response.text.count("Emma Caller") >= 4
    # The rows show names only: the callers' and assignees' roles are not read; the only
    # statement naming roles is the signed-in agent's own, loaded with them.
    assert [s for s in page if "role_grants" in s] == reads(page, "users")[:1]


def test_the_callers_page_reads_no_priority_matrix(signed_in, make_incident, db):
    """The caller's own page shows the state in plain words, no priority: it reads no matrix."""
    client, employee = signed_in("employee")
    incident = make_incident(caller=employee, short_description="Teams crashes")
    client.get(f"/incidents/{incident.number}")
    with count_queries() as page:
        response = client.get(f"/incidents/{incident.number}")
    assert response.status_code == 200
    assert "Teams crashes" in response.text
    assert reads(page, "priority_scales") == []
