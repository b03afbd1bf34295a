"""Administrators edit the priority matrix (including its size) and the routing rules."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from app.incidents import settings as incident_settings
from app.incidents.models import RoutingRule
from app.tickets.matrix import load_matrix


def grid(impacts: int, urgencies: int, levels: int, cell) -> dict[str, str]:
    form = {f"impact-{i}": f"I{i}" for i in range(1, impacts + 1)}
    form |= {f"urgency-{u}": f"U{u}" for u in range(1, urgencies + 1)}
    form |= {f"level-{p}": f"Level {p}" for p in range(1, levels + 1)}
    form |= {
        f"cell-{i}-{u}": str(cell(i, u))
        for i in range(1, impacts + 1)
        for u in range(1, urgencies + 1)
    }
    return form


def test_admin_switches_to_a_four_level_matrix(signed_in, db, make_incident):
    client, _ = signed_in("admin")
    proposal = client.post(
        "/incidents/settings/matrix/size", {"impacts": "4", "urgencies": "4", "levels": "4"}
    )
    assert proposal.status_code == 200
    body = proposal.get_data(as_text=True)
    assert "proposal, not saved" in body
    assert 'name="cell-4-4"' in body
    assert len(load_matrix().levels) == 5  # nothing saved yet
    saved = client.post("/incidents/settings/matrix", grid(4, 4, 4, max))
    assert saved.status_code == 302
    matrix = load_matrix()
    assert matrix.priority(4, 1) == 4
    assert matrix.label(2) == "Level 2"
    assert make_incident(impact=2, urgency=1).priority == 2


def test_an_incomplete_matrix_is_refused_and_the_old_one_stays(signed_in, db):
    client, _ = signed_in("admin")
    form = grid(3, 3, 5, lambda i, u: i + u - 1)
    del form["cell-2-2"]
    response = client.post("/incidents/settings/matrix", form)
    assert response.status_code == 422
    assert "impact 2 × urgency 2 has no priority" in response.get_data(as_text=True)
    form = grid(3, 3, 2, lambda i, u: i + u - 1)  # maps to levels that do not exist
    assert client.post("/incidents/settings/matrix", form).status_code == 422
    form = grid(3, 3, 5, lambda i, u: 1) | {"impact-1": "  "}
    assert client.post("/incidents/settings/matrix", form).status_code == 422
    assert load_matrix().priority(3, 3) == 5
    bad_size = client.post(
        "/incidents/settings/matrix/size", {"impacts": "0", "urgencies": "x", "levels": "40"}
    )
    assert bad_size.status_code == 422


def test_routing_rules_are_added_and_removed(signed_in, db, queue):
    client, _ = signed_in("admin")
    network = queue("Network")
    response = client.post(
        "/incidents/settings/routing", {"category": "Network", "group": str(network.id)}
    )
    assert response.status_code == 302
    rule = db.session.scalar(select(RoutingRule))
    assert (rule.category, rule.group_id, rule.subcategory) == ("Network", network.id, None)
    assert client.post("/incidents/settings/routing", {"group": "999"}).status_code == 422
    assert client.post(f"/incidents/settings/routing/{rule.id}/delete").status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(RoutingRule)) is None


def test_routing_rules_are_settings_services_callable_without_a_request(db, queue, make_ci):
    from app.incidents import settings as incident_settings

    network = queue("Network")
    first = incident_settings.add_routing_rules(network, [], category="Network")
    db_server = make_ci("erp-db-01", "server")
    db_vm = make_ci("erp-db-01", "virtual_machine")
    shared = incident_settings.add_routing_rules(network, [db_server.id, db_vm.id])
    assert [(r.position, r.ci_id) for r in first + shared] == [
        (10, None),
        (20, db_server.id),
        (20, db_vm.id),
    ]
    assert incident_settings.delete_routing_rule(first[0].id) is True
    assert incident_settings.delete_routing_rule(first[0].id) is False
    assert db.session.scalar(select(func.count()).select_from(RoutingRule)) == 2


def test_assigning_a_person_starts_the_work_unless_the_admin_turns_it_off(
    signed_in, db, make_user, queue, make_incident
):
    from app.incidents import services

    client, admin = signed_in("admin")
    agent = make_user(roles=["agent"])
    desk = queue("Service Desk", members=(agent,))
    started = make_incident(assignment_group=desk)
    services.assign_incident(started, group=desk, assignee=None, actor=agent)
    assert started.state == "new"  # a queue alone does not start anything
    services.assign_incident(started, group=desk, assignee=agent, actor=agent)
    assert started.state == "in_progress"
    db.session.commit()

    page = client.get("/incidents/settings").get_data(as_text=True)
    assert "moves it to In progress" in page
    version = re.search(r'name="version" type="hidden" value="(\d+)"', page)[1]
    # The browser leaves an unticked box out of the form.
    saved = client.post("/incidents/settings/workflow", {"version": version})
    assert saved.status_code == 302
    waiting = make_incident(assignment_group=desk)
    services.assign_incident(waiting, group=desk, assignee=agent, actor=agent)
    assert (waiting.state, waiting.assignee_id) == ("new", agent.id)
    stale = client.post(
        "/incidents/settings/workflow", {"version": version, "assignment_starts_work": "y"}
    )
    assert stale.status_code == 409
    db.session.expire_all()
    assert not incident_settings.assignment_starts_work()


def test_a_routing_rule_names_a_ci_and_follows_its_renames(signed_in, db, queue, make_ci):
    from app.cmdb import services as cmdb

    client, admin = signed_in("admin")
    apps = queue("Applications")
    erp_db = make_ci("erp-db-01", "server")
    unknown = client.post(
        "/incidents/settings/routing", {"ci_name": "erp-db-99", "group": str(apps.id)}
    )
    assert unknown.status_code == 422
    assert "No CI is named erp-db-99" in unknown.get_data(as_text=True)
    assert db.session.scalar(select(RoutingRule)) is None
    added = client.post(
        "/incidents/settings/routing", {"ci_name": "ERP-DB-01", "group": str(apps.id)}
    )
    assert added.status_code == 302
    assert db.session.scalar(select(RoutingRule)).ci_id == erp_db.id
    cmdb.update_ci(erp_db, actor=admin, name="erp-db-01-old")
    db.session.commit()
    page = client.get("/incidents/settings").get_data(as_text=True)
    assert "<td>erp-db-01-old</td>" in page
