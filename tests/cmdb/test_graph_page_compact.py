"""The graph page and graph.json lay out the neighbourhood found on the cached compact index:
no request builds the networkx graph of the whole CMDB, and the picture is the one the whole
graph gives."""

from __future__ import annotations

from app.cmdb import analysis
from app.cmdb.cache import graph_cache
from app.cmdb.graph import layout


def test_graph_page_and_json_never_build_the_whole_graph_and_draw_the_same(
    app, db, signed_in, make_ci, relate
):
    service = make_ci("Payroll", "business_service", users_count=30)
    application = make_ci("payroll-app", "application")
    vm = make_ci("payroll-vm", "virtual_machine")
    other = make_ci("payroll-vm-2", "virtual_machine")
    cluster = make_ci("esx-cluster-pay", "cluster", min_up=1)
    hosts = [make_ci(f"esx-pay-{i}", "server") for i in (1, 2)]
    relate(application, "provides", service)
    relate(application, "runs_on", vm)
    relate(application, "runs_on", other)
    relate(vm, "runs_on", cluster)
    relate(other, "runs_on", cluster)
    for host in hosts:
        relate(host, "member_of", cluster)
    client, _ = signed_in("agent", "employee")

    page = client.get(f"/cmdb/{hosts[0].id}/graph?depth=3")
    data = client.get(f"/cmdb/{hosts[0].id}/graph.json?depth=3").get_json()
    assert page.status_code == 200
    cmdb = graph_cache(app).get(db.session)
    assert cmdb._graph is None  # neither request built the networkx graph of the whole CMDB

    result = analysis.impact_of(hosts[0].id)
    states = {a.ci_id: a.state.value for a in result.affected}
    picture = layout.neighbourhood(cmdb.graph, hosts[0].id, 3, states)  # the old way
    assert [(n["ci_id"], n["x"], n["y"], n["state"], n["group"]) for n in data["nodes"]] == [
        (n.ci_id, n.x, n.y, n.state, n.group) for n in picture.nodes
    ]
    assert [(e["source"], e["target"], e["label"], e["hot"]) for e in data["edges"]] == [
        (str(e.source), str(e.target), e.label, e.hot) for e in picture.edges
    ]
    assert {n.name for n in picture.nodes} == {  # the service is a fourth hop away
        "esx-pay-1", "esx-cluster-pay", "esx-pay-2", "payroll-vm", "payroll-vm-2", "payroll-app"
    }  # fmt: skip
    assert page.get_data(as_text=True).count("<rect") == len(picture.nodes)


def test_picture_and_impact_come_from_one_revision(
    app, db, signed_in, make_ci, relate, monkeypatch
):
    """The page reads the graph once per request, so a CMDB change committed by another worker
    mid-request cannot colour one revision's picture with another revision's impact."""
    host = make_ci("esx-one-1", "server")
    vm = make_ci("one-vm", "virtual_machine")
    relate(vm, "runs_on", host)
    client, _ = signed_in("agent", "employee")
    cache = graph_cache(app)
    reads = []
    real_get = type(cache).get

    def counting_get(self, session, *args, **kwargs):
        reads.append(1)
        return real_get(self, session, *args, **kwargs)

    monkeypatch.setattr(type(cache), "get", counting_get)
    data = client.get(f"/cmdb/{host.id}/graph.json").get_json()
    assert {n["name"]: n["state"] for n in data["nodes"]} == {"esx-one-1": "down", "one-vm": "down"}
    assert len(reads) == 1
