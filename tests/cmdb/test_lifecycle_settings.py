"""Administrators choose how impact analysis treats planned, in-maintenance and retired CIs;
the CI page's impact follows the choice."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.audit import AuditEvent
from app.cmdb import settings
from app.cmdb.graph.vocabulary import ImpactOptions, Treatment

DEFAULTS = {"planned": "ignored", "in_maintenance": "already_down", "retired": "ignored"}


def body(response) -> str:
    return response.get_data(as_text=True)


def service_state(page: str, service: str) -> str | None:
    """The state badge the CI page's impact panel shows for a business service."""
    found = re.search(rf">(down|degraded)</span> <strong>{re.escape(service)}</strong>", page)
    return found[1] if found else None


def version_of(page: str) -> str:
    return re.search(r'name="version" type="hidden" value="(\d+)"', page)[1]


@pytest.fixture
def shipping(db, make_ci, relate):
    """Shipping ← ship-app → runs on ship-cluster (up while 2 of its 3 nodes are up); node-2
    is retired, node-3 in maintenance."""
    service = make_ci("Shipping", "business_service", users_count=40)
    app = make_ci("ship-app", "application")
    cluster = make_ci("ship-cluster", "cluster", min_up=2)
    relate(app, "provides", service)
    relate(app, "runs_on", cluster)
    nodes = {}
    for name, status in (
        ("node-1", "in_service"),
        ("node-2", "retired"),
        ("node-3", "in_maintenance"),
    ):
        nodes[name] = make_ci(name, "server", status=status)
        relate(nodes[name], "member_of", cluster)
    return nodes


def save(client, **treatments: str):
    page = body(client.get("/cmdb/settings"))
    return client.post("/cmdb/settings", {**DEFAULTS, "version": version_of(page), **treatments})


def test_the_defaults_are_the_engines(db):
    assert settings.impact_options() == ImpactOptions()


def test_maintenance_treatment_decides_whether_the_cluster_holds(signed_in, db, shipping):
    client, _ = signed_in("admin", "employee")
    assert save(client, retired="normal").status_code == 302  # node-2 counts as a live node
    url = f"/cmdb/{shipping['node-1'].id}"
    # Default: node-3 in maintenance is already down; with node-1 down one node is left, the
    # rule needs two: the cluster, the application and the service go down.
    page = body(client.get(url))
    assert service_state(page, "Shipping") == "down"
    assert "1 already before this failure" in page

    assert save(client, retired="normal", in_maintenance="normal").status_code == 302
    # node-3 now counts as working: two of three nodes are up, the cluster only degrades.
    assert service_state(body(client.get(url)), "Shipping") == "degraded"
    assert settings.impact_options().in_maintenance is Treatment.NORMAL


def test_retired_treatment_decides_whether_a_retired_ci_counts(signed_in, db, shipping):
    client, _ = signed_in("admin", "employee")
    assert save(client, in_maintenance="normal").status_code == 302  # node-3 counts as up
    url = f"/cmdb/{shipping['node-2'].id}"
    page = body(client.get(url))
    assert "Nothing is affected" in page  # retired CIs are ignored by default
    assert service_state(page, "Shipping") is None
    # Ignored, node-2 adds no redundancy: node-1 failing leaves only node-3 up, the rule
    # needs two, and the cluster goes down.
    node_1 = f"/cmdb/{shipping['node-1'].id}"
    assert service_state(body(client.get(node_1)), "Shipping") == "down"

    assert save(client, in_maintenance="normal", retired="normal").status_code == 302
    page = body(client.get(url))
    # A retired node now counts like a live one: its failure leaves two of three nodes up...
    assert service_state(page, "Shipping") == "degraded"
    assert "ship-cluster" in page
    # ...and it is the second node up when node-1 fails.
    assert service_state(body(client.get(node_1)), "Shipping") == "degraded"


def test_saving_is_audited_and_checks_input_and_version(signed_in, db):
    client, admin = signed_in("admin", "employee")
    page = body(client.get("/cmdb/settings"))
    assert "What each choice means" in page
    assert "Already down" in page
    stale = version_of(page)
    assert save(client, planned="normal").status_code == 302
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.object_type == "cmdb_settings"))
    assert event.actor_id == admin.id
    assert event.changes == {"planned": ["ignored", "normal"]}

    # An edit made on the old page is refused, and nothing changes.
    conflict = client.post("/cmdb/settings", {**DEFAULTS, "retired": "normal", "version": stale})
    assert conflict.status_code == 409
    assert "changed by someone else" in body(conflict)
    assert settings.impact_options().retired is Treatment.IGNORED

    current = version_of(body(client.get("/cmdb/settings")))
    for bad in ({"planned": "sometimes"}, {"retired": ""}, {"version": "x"}):
        response = client.post("/cmdb/settings", {**DEFAULTS, "version": current, **bad})
        assert response.status_code == 422, bad
    assert settings.impact_options().planned is Treatment.NORMAL  # unchanged by bad posts
    # Saving the same choices again changes nothing and writes no audit event.
    assert save(client, planned="normal").status_code == 302
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.object_type == "cmdb_settings")
    ).all()
    assert len(events) == 1


def test_only_administrators_see_and_change_the_settings(signed_in, db):
    client, _ = signed_in("agent", "employee")
    assert client.get("/cmdb/settings").status_code == 403
    assert client.post("/cmdb/settings", {**DEFAULTS, "planned": "normal"}).status_code == 403
    assert settings.impact_options().planned is Treatment.IGNORED
