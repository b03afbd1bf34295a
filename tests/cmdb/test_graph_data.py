"""The data behind the interactive graph: the pure shaping of a neighbourhood and its impact,
and the ``graph.json`` endpoint (same policy as the graph page, bounded, with links)."""

from __future__ import annotations

import pytest

from app.cmdb.graph.data import MAX_LISTED, neighbourhood_data
from app.cmdb.graph.layout import MAX_NODES, neighbourhood
from app.cmdb.graph.vocabulary import CI, Redundancy, build_graph
from app.cmdb.impact.reference import impact


def links(ci_id):
    return {"url": f"/ci/{ci_id}", "graph_url": f"/ci/{ci_id}/graph"}


@pytest.fixture
def estate():
    """Shop ← shop-app → runs on esx-cluster (up while 1 host is up: esx-01, esx-03; esx-02
    is retired); esx-01 is connected to switch sw-01, whose failure would hit it, not the
    reverse."""
    cis = [
        CI("shop", "Shop", "business_service", users=12),
        CI("app", "shop-app", "application"),
        CI("cluster", "esx-cluster", "cluster", redundancy=Redundancy(min_up=1)),
        CI("host-1", "esx-01", "server"),
        CI("host-2", "esx-02", "server", status="retired"),
        CI("host-3", "esx-03", "server"),
        CI("switch", "sw-01", "network_device"),
    ]
    relations = [
        ("app", "shop", "provides"),
        ("app", "cluster", "runs_on"),
        ("host-1", "cluster", "member_of"),
        ("host-2", "cluster", "member_of"),
        ("host-3", "cluster", "member_of"),
        ("host-1", "switch", "connected_to"),
    ]
    return build_graph(cis, relations)


def data_for(graph, centre, depth=3):
    result = impact(graph, [centre])
    states = {a.ci_id: a.state.value for a in result.affected}
    picture = neighbourhood(graph, centre, depth, states)
    return neighbourhood_data(picture, result, links=links, class_labels={"host-1": "Host"})


def test_nodes_carry_what_the_view_draws(estate):
    data = data_for(estate, "host-1")
    nodes = {n["id"]: n for n in data["nodes"]}
    assert data["centre"] == "host-1"
    assert nodes["host-1"]["centre"]
    assert nodes["host-1"]["failing"]
    assert nodes["host-1"]["class_label"] == "Host"  # from the database when given
    assert nodes["cluster"]["class_label"] == "cluster"
    assert nodes["cluster"]["group"] == "at least 1 up"
    assert nodes["shop"]["service"]
    assert not nodes["app"]["service"]
    assert nodes["host-2"]["status"] == "retired"
    assert nodes["shop"]["url"] == "/ci/shop"
    assert nodes["shop"]["graph_url"] == "/ci/shop/graph"
    assert {n["state"] for n in data["nodes"] if n["id"] in ("cluster", "app", "shop")} == {
        "degraded"
    }
    assert data["palette"]["down"] == {"fill": "#fde3e3", "stroke": "#b42318"}


def test_edges_are_hot_only_where_the_failure_travels(estate):
    data = data_for(estate, "host-1")
    hot = {e["id"] for e in data["edges"] if e["hot"]}
    assert hot == {"host-1->cluster", "app->cluster", "app->shop"}
    # esx-01 is connected to sw-01: a failure of esx-01 does not reach the switch.
    switch = next(e for e in data["edges"] if e["target"] == "switch")
    assert (switch["label"], switch["hot"]) == ("connected to", False)


def test_impact_names_services_and_the_redundancy_that_held(estate):
    impact_data = data_for(estate, "host-1")["impact"]
    assert impact_data["failing"] == ["host-1"]
    assert (impact_data["down"], impact_data["degraded"]) == (1, 3)
    assert impact_data["services"] == [
        {
            "id": "shop",
            "name": "Shop",
            "state": "degraded",
            "users": 12,
            "path": "esx-01 -(member of)-> esx-cluster -(hosts)-> shop-app -(provides)-> Shop",
            "in_view": True,
        }
    ]
    (group,) = impact_data["groups"]
    assert group["held"]
    assert group["id"] == "cluster"
    assert "1 of 2 members down" in group["explanation"]  # the retired host is not counted
    assert impact_data["people"] == {"affected": 12, "cut_off": 0, "exact": True}
    # A retired centre is ignored by default: nothing is hit.
    retired = data_for(estate, "host-2")["impact"]
    assert (retired["ignored"], retired["affected"]) == (["host-2"], 0)


def test_the_answer_is_bounded():
    hub = [CI("hub", "hub", "cluster")]
    services = [CI(f"s{i:03d}", f"s{i:03d}", "business_service") for i in range(200)]
    graph = build_graph(hub + services, [("hub", s.id, "provides") for s in services])
    data = data_for(graph, "hub", depth=1)
    assert len(data["nodes"]) == MAX_NODES
    assert data["truncated"]
    assert data["impact"]["services_total"] == 200
    assert len(data["impact"]["services"]) == MAX_LISTED
    assert data["impact"]["affected_in_view"] == MAX_NODES


def test_graph_json_answers_with_links_and_the_configured_impact(signed_in, db, make_ci, relate):
    service = make_ci("Payroll", "business_service", users_count=30)
    app = make_ci("payroll-app", "application")
    vm = make_ci("payroll-vm", "virtual_machine")
    relate(app, "provides", service)
    relate(app, "runs_on", vm)
    client, _ = signed_in("agent", "employee")
    response = client.get(f"/cmdb/{vm.id}/graph.json?depth=9")
    assert response.status_code == 200
    data = response.get_json()
    assert data["depth"] == 3  # clamped
    nodes = {n["name"]: n for n in data["nodes"]}
    assert nodes["payroll-vm"]["class_label"] == "Virtual machine"
    assert nodes["Payroll"]["url"] == f"/cmdb/{service.id}"
    assert nodes["Payroll"]["graph_url"] == f"/cmdb/{service.id}/graph?depth=3"
    assert nodes["Payroll"]["state"] == "down"
    assert data["impact"]["services"][0]["name"] == "Payroll"
    assert {e["label"] for e in data["edges"]} == {"provides", "runs on"}
    assert client.get("/cmdb/987654/graph.json").status_code == 404
    assert client.get(f"/cmdb/{vm.id}/graph.json?depth=x").get_json()["depth"] == 2
    client.post("/logout")
    employee, _ = signed_in("employee")
    assert employee.get(f"/cmdb/{vm.id}/graph.json").status_code == 403


def test_graph_page_offers_the_interactive_view_and_a_printable_one(signed_in, db, make_ci):
    vm = make_ci("lonely-vm", "virtual_machine")
    client, _ = signed_in("agent", "employee")
    page = client.get(f"/cmdb/{vm.id}/graph").get_data(as_text=True)
    assert f'data-src="/cmdb/{vm.id}/graph.json?depth=2"' in page
    assert "vendor/cytoscape/cytoscape.min.js" in page
    assert 'id="graph-fallback"' in page  # the SVG stays as the view without script
    printable = client.get(f"/cmdb/{vm.id}/graph?print=1").get_data(as_text=True)
    assert "cytoscape" not in printable
    assert "<svg" in printable
