"""CMDB pages end to end: who may do what, the list's filters, the CI page, the forms' bad
input (422, never 500), conflicts (409), the graph and what-if pages, and query counts."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.cmdb import services
from app.cmdb.models import CIRelation, ConfigurationItem
from app.errors import field_error
from tests.conftest import count_queries


def version_of(page) -> str:
    return re.search(r'name="version" type="hidden" value="(\d+)"', page.get_data(as_text=True))[1]


def body(response) -> str:
    return response.get_data(as_text=True)


def paths(page: str) -> list[list[str]]:
    """The failure paths a page draws: CI names and, between them, the relations read."""
    found = []
    for ol in re.findall(r'<ol class="dg-path".*?</ol>', page, re.S):
        found.append(re.findall(r'class="dg-(?:chip|path-relation)"[^>]*>([^<]*)<', ol))
    return found


@pytest.fixture
def small_estate(db, make_ci, relate):
    vm = make_ci("erp-app-01", "virtual_machine", environment="production")
    host = make_ci("esx-01", "server", asset_tag="KF-77")
    svc = make_ci("ERP", "business_service", users_count=40)
    app = make_ci("ERP application", "application")
    relate(vm, "runs_on", host)
    relate(app, "runs_on", vm)
    relate(app, "provides", svc)
    return {"vm": vm, "host": host, "service": svc, "app": app}


def test_employees_are_refused_and_agents_read_but_do_not_change(signed_in, small_estate):
    vm = small_estate["vm"]
    client, _ = signed_in("employee")
    for url in (
        "/cmdb/",
        f"/cmdb/{vm.id}",
        f"/cmdb/{vm.id}/graph",
        "/cmdb/what-if",
        "/cmdb/classes",
    ):
        assert client.get(url).status_code == 403, url
    client.post("/logout")
    client, _ = signed_in("agent", "employee")
    assert client.get("/cmdb/").status_code == 200
    assert client.get("/cmdb/new?class=server").status_code == 403
    assert client.post(f"/cmdb/{vm.id}/retire", {}).status_code == 403
    assert client.post(f"/cmdb/{vm.id}/delete", {}).status_code == 403
    assert client.post("/cmdb/classes", {"name": "x", "label": "X"}).status_code == 403


def test_list_filters_by_text_class_with_descendants_status_and_attributes(
    signed_in, db, make_ci, ci_class
):
    services.add_attribute(
        actor=None, ci_class=ci_class("server"), name="cpu_count", label="CPUs", type_="integer"
    )
    db.session.commit()
    make_ci("vm-small", "virtual_machine", attributes={"cpu_count": "4"})
    make_ci("esx-big", "server", attributes={"cpu_count": "64"}, status="in_maintenance")
    make_ci("Payroll", "business_service")
    client, _ = signed_in("agent", "employee")
    server = ci_class("server").id

    def listed(query: str) -> set[str]:
        response = client.get(f"/cmdb/?{query}")
        assert response.status_code == 200, query
        return set(re.findall(r'href="/cmdb/\d+">([^<]+)</a>', body(response)))

    assert listed("") == {"vm-small", "esx-big", "Payroll"}
    assert listed("q=ESX") == {"esx-big"}
    assert listed(f"ci_class={server}") == {"vm-small", "esx-big"}  # VMs are servers
    assert listed("status=in_maintenance") == {"esx-big"}
    assert listed(f"ci_class={server}&a_cpu_count=64") == {"esx-big"}
    # Bad values are reported, not a 500; the filter is not applied.
    assert listed(f"ci_class={server}&a_cpu_count=lots") == {"vm-small", "esx-big"}
    assert "Enter a whole number" in body(client.get(f"/cmdb/?ci_class={server}&a_cpu_count=x"))
    assert listed("status=exploded&page=abc&per_page=-4&ci_class=nope&sort=evil") >= {"Payroll"}


def test_list_search_as_a_browser_submits_the_whole_form(signed_in, make_ci):
    make_ci("vpn-gw-01", "server")
    make_ci("Payroll", "business_service")
    client, _ = signed_in("agent", "employee")
    whole_form = "ci_class=&status=&environment=&sort=name"

    page = body(client.get(f"/cmdb/?q=vpn&{whole_form}"))
    assert "not understood" not in page
    assert set(re.findall(r'href="/cmdb/\d+">([^<]+)</a>', page)) == {"vpn-gw-01"}
    export = re.search(r'href="(/cmdb/export\?kind=cis&amp;format=csv[^"]*)"', page)[1]
    assert "q=vpn" in export
    assert "status=" not in export
    csv = body(client.get(export.replace("&amp;", "&")))
    assert "vpn-gw-01" in csv
    assert "Payroll" not in csv

    page = body(client.get(f"/cmdb/?q=vpn&{whole_form}&status=exploded"))
    assert "not understood and were ignored: Status “exploded”" in page
    assert set(re.findall(r'href="/cmdb/\d+">([^<]+)</a>', page)) == {"vpn-gw-01"}
    sort_links = re.findall(r'class="dg-sort" href="([^"]+)"', page)
    assert sort_links
    assert all("q=vpn" in s and "exploded" not in s for s in sort_links)


def test_ci_page_shows_relations_both_ways_incidents_upstream_and_impact(
    signed_in, db, small_estate, make_user
):
    from app.incidents import services as incidents

    caller = make_user()
    incident = incidents.open_incident(
        caller=caller, opened_by=caller, short_description="ERP is slow", ci_names=["ERP-APP-01"]
    )
    db.session.commit()
    client, _ = signed_in("agent", "employee")
    page = body(client.get(f"/cmdb/{small_estate['vm'].id}"))
    assert "<em>runs on</em>" in page
    assert "esx-01" in page
    assert "<em>hosts</em>" in page
    assert "ERP application" in page
    assert incident.number in page
    assert "What it needs" in page
    assert '>esx-01</a> <span class="text-body-secondary">(server, 1 hop away)' in page
    assert "ERP</strong>" in page
    assert "40 users" in page
    assert ["erp-app-01", "hosts", "ERP application", "provides", "ERP"] in paths(page)
    assert "-(" not in page


def test_admin_creates_edits_relates_retires_and_deletes(signed_in, db, small_estate, ci_class):
    client, _admin = signed_in("admin", "employee")
    response = client.post(
        "/cmdb/new?class=database",
        {"name": "erp-db-01", "status": "in_service", "environment": "production"},
    )
    assert response.status_code == 302, body(response)[:2000]
    created = db.session.scalar(
        select(ConfigurationItem).where(ConfigurationItem.name == "erp-db-01")
    )
    page = client.get(f"/cmdb/{created.id}/edit")
    response = client.post(
        f"/cmdb/{created.id}/edit",
        {
            "version": version_of(page),
            "name": "erp-db-01",
            "status": "in_service",
            "location": "Lyon",
        },
    )
    assert response.status_code == 302
    response = client.post(
        f"/cmdb/{created.id}/relations",
        {"type": "depends_on", "direction": "reverse", "other": "erp application"},
    )
    assert response.status_code == 302
    relation = db.session.scalar(select(CIRelation).where(CIRelation.target_id == created.id))
    assert relation.source_id == small_estate["app"].id
    response = client.post(f"/cmdb/{created.id}/delete", {})
    assert response.status_code == 409
    assert "used by ERP application" in body(response)
    assert (
        client.post(
            f"/cmdb/{created.id}/relations/remove", {"relation": str(relation.id)}
        ).status_code
        == 302
    )
    page = client.get(f"/cmdb/{created.id}")
    assert (
        client.post(f"/cmdb/{created.id}/retire", {"version": version_of(page)}).status_code == 302
    )
    assert client.post(f"/cmdb/{created.id}/delete", {}).status_code == 302
    db.session.expunge_all()
    assert db.session.get(ConfigurationItem, created.id) is None


@pytest.mark.parametrize(
    ("url", "data", "message"),
    [
        ("/cmdb/new?class=server", {"name": ""}, "A CI needs a name"),
        ("/cmdb/new?class=server", {"name": "x", "min_up": "0"}, "Number must be"),
        ("/cmdb/new?class=server", {"name": "x", "owner": "ghost"}, "No person has this username"),
        ("/cmdb/new?class=server", {"name": "x", "warranty_end": "soon"}, "Not a valid date"),
        (
            "/cmdb/new?class=server",
            {"name": "x", "min_up": "2", "min_up_percent": "50"},
            "not both",
        ),
        (
            "/cmdb/new?class=application",
            {"name": "x", "users_count": "lots"},
            "Not a valid integer",
        ),
        ("/cmdb/new?class=server", {"name": "esx-01"}, "already exists"),
        ("/cmdb/new?class=server", {"name": "y", "support_group": "999999"}, "Unknown group"),
        ("/cmdb/new?class=server", {"name": "y", "criticality": "7"}, "Not a valid choice"),
    ],
)
def test_bad_ci_input_is_a_422_with_the_reason(signed_in, small_estate, db, url, data, message):
    client, _ = signed_in("admin", "employee")
    before = db.session.scalar(select(func.count()).select_from(ConfigurationItem))
    response = client.post(url, {"status": "in_service", **data})
    assert response.status_code == 422
    assert message in body(response)
    assert db.session.scalar(select(func.count()).select_from(ConfigurationItem)) == before


def test_bad_attribute_input_is_a_422_on_its_field(signed_in, db, ci_class):
    services.add_attribute(
        actor=None, ci_class=ci_class("server"), name="cpu_count", label="CPUs", type_="integer"
    )
    db.session.commit()
    client, _ = signed_in("admin", "employee")
    response = client.post(
        "/cmdb/new?class=server", {"name": "x", "status": "in_service", "attr_cpu_count": "eight"}
    )
    assert response.status_code == 422
    assert 'id="attr_cpu_count-error"' in body(response)
    assert "whole number" in body(response)
    assert client.get("/cmdb/new?class=no-such-class").status_code == 404


def test_bad_relations_are_422_and_stale_edits_409(signed_in, small_estate, db):
    client, _ = signed_in("admin", "employee")
    vm = small_estate["vm"]
    url = f"/cmdb/{vm.id}/relations"
    for data, message in (
        ({"type": "runs_on", "other": "nothing-like-this"}, "No CI is named"),
        ({"type": "runs_on", "other": "erp-app-01"}, "cannot be related to itself"),
        ({"type": "runs_on", "other": "esx-01"}, "already runs on esx-01"),
        ({"type": "teleports_to", "other": "esx-01"}, "Unknown relation type"),
        ({"type": "runs_on", "other": ""}, "Name the other CI"),
    ):
        response = client.post(url, data)
        assert response.status_code == 422, data
        assert message in body(response), data
    assert client.post(f"/cmdb/{vm.id}/relations/remove", {"relation": "abc"}).status_code == 404
    page = client.get(f"/cmdb/{vm.id}/edit")
    stale = version_of(page)
    services.update_ci(vm, actor=None, location="Moved")
    db.session.commit()
    response = client.post(
        f"/cmdb/{vm.id}/edit", {"version": stale, "name": "renamed", "status": "in_service"}
    )
    assert response.status_code == 409
    assert client.post(f"/cmdb/{vm.id}/retire", {"version": stale}).status_code == 409
    db.session.expire_all()
    assert db.session.get(ConfigurationItem, vm.id).name == "erp-app-01"
    assert client.get("/cmdb/987654").status_code == 404


def test_graph_page_draws_the_neighbourhood_as_svg_and_clamps_depth(signed_in, small_estate):
    client, _ = signed_in("agent", "employee")
    host = small_estate["host"]
    page = client.get(f"/cmdb/{host.id}/graph?depth=99")
    assert page.status_code == 200
    html = body(page)
    assert "<svg" in html
    assert "Depth 3" in html
    assert 'aria-current="page" href="/cmdb/' in html
    assert html.count("<rect") == 4  # host, VM, application, service
    assert 'fill="#fde3e3"' in html  # down CIs highlighted
    assert "<script" not in html.split("<svg")[1].split("</svg>")[0]
    shallow = body(client.get(f"/cmdb/{host.id}/graph?depth=1&impact=0"))
    assert shallow.count("<rect") == 2
    assert 'fill="#fde3e3"' not in shallow
    assert client.get(f"/cmdb/{host.id}/graph?depth=abc").status_code == 200


def test_graph_page_lists_its_cis_by_class_the_centres_open(signed_in, small_estate):
    client, _ = signed_in("agent", "employee")
    host = small_estate["host"]
    page = body(client.get(f"/cmdb/{host.id}/graph?depth=3"))
    listed = page.split('id="in-view-title"', 1)[1]
    groups = re.findall(r'<details class="dg-class-group" data-class="(\w+)"( open)?>', listed)
    assert groups == [
        ("application", ""), ("business_service", ""), ("server", " open"),
        ("virtual_machine", ""),
    ]  # fmt: skip
    assert ">erp-app-01</a> · 1 hop · <strong>down</strong>" in listed


def test_what_if_shows_the_combined_impact_and_refuses_bad_picks(signed_in, small_estate):
    client, _ = signed_in("agent", "employee")
    vm, host = small_estate["vm"], small_estate["host"]
    page = client.get(f"/cmdb/what-if?ci={vm.id}&ci={host.id}&q=erp")
    assert page.status_code == 200
    assert "ERP</strong>" in body(page)
    assert "+ ERP application" in body(page)
    assert client.get("/cmdb/what-if?ci=abc").status_code == 422
    assert client.get("/cmdb/what-if?ci=999999").status_code == 422
    many = "&".join(f"ci={i}" for i in range(1, 60))
    assert "at most 50" in body(client.get(f"/cmdb/what-if?{many}"))


def test_what_if_groups_the_affected_cis_by_class_services_first(signed_in, small_estate):
    client, _ = signed_in("agent", "employee")
    host = small_estate["host"]
    page = body(client.get(f"/cmdb/what-if?ci={host.id}"))
    affected = page.split('id="affected-title"', 1)[1]
    groups = re.findall(
        r'<details class="dg-class-group" data-class="(\w+)">\s*<summary>\s*'
        r'<span class="fw-semibold">([^<]+)</span>\s*<span[^>]*>(\d+)</span>',
        affected,
    )
    # Business services first, then the rest (largest first, then by label), each collapsed.
    assert [(name, int(n)) for _cls, name, n in groups] == [
        ("Business service", 1), ("Application", 1), ("Server", 1), ("Virtual machine", 1),
    ]  # fmt: skip
    assert (
        "includes a failing CI"
        in affected.split('data-class="server"', 1)[1].split("</details>")[0]
    )
    assert "<details open" not in affected
    assert ["esx-01", "hosts", "erp-app-01", "hosts", "ERP application", "provides", "ERP"] in (
        paths(page)
    )
    assert "-(" not in page  # no ASCII arrows
    assert f'href="/cmdb/{host.id}/graph"' in page  # on to the graph of a picked CI


def test_classes_page_and_admin_forms(signed_in, db):
    client, _ = signed_in("admin", "employee")
    assert "Virtual machine" in body(client.get("/cmdb/classes"))
    response = client.post("/cmdb/classes", {"name": "firewall", "label": "Firewall"})
    assert response.status_code == 302
    assert client.post("/cmdb/classes", {"name": "firewall", "label": "Again"}).status_code == 422
    assert (
        client.post("/cmdb/classes", {"name": "x", "label": "X", "parent": "999"}).status_code
        == 422
    )
    from app.cmdb.models import CIClass

    firewall = db.session.scalar(select(CIClass).where(CIClass.name == "firewall"))
    url = "/cmdb/classes/attributes"
    ok = {"ci_class": str(firewall.id), "name": "zone", "type": "choice", "choices": "dmz, lan"}
    assert client.post(url, ok).status_code == 302
    assert client.post(url, {**ok, "name": "zone2", "choices": ""}).status_code == 422
    assert client.post(url, {**ok, "name": "zone3", "type": "blob"}).status_code == 422
    assert client.post(url, {**ok, "ci_class": "nope"}).status_code == 422


@pytest.mark.parametrize("rows", [3, 30])
def test_list_and_ci_page_issue_a_bounded_number_of_queries(
    signed_in, db, make_ci, make_user, ci_class, rows
):
    from app.auth import groups

    admin = make_user(roles=["admin"])
    group = groups.create_group(actor=admin, name="Infrastructure")
    hub = make_ci("hub", "cluster", min_up=1)
    for n in range(rows):
        member = services.create_ci(
            actor=None,
            ci_class=ci_class("server"),
            name=f"node-{n:02d}",
            owner_id=admin.id,
            support_group_id=group.id,
        )
        services.relate(member, hub, "member_of", actor=None)
        if n % 2:
            services.relate(hub, member, "depends_on", actor=None)
    db.session.commit()
    client, _ = signed_in("agent", "employee")
    with count_queries() as listing:
        assert client.get("/cmdb/?per_page=50").status_code == 200
    with count_queries() as page:
        response = client.get(f"/cmdb/{hub.id}")
    assert response.status_code == 200
    node = db.session.scalar(select(ConfigurationItem).where(ConfigurationItem.name == "node-00"))
    history = body(client.get(f"/cmdb/{node.id}"))
    assert "group: — → Infrastructure" in history  # names, not ids
    assert f"owner: — → {admin.display_name}" in history
    with count_queries() as picture:
        assert client.get(f"/cmdb/{hub.id}/graph").status_code == 200
    assert len(listing) <= 8, listing
    assert len(page) <= 20, page
    assert len(picture) <= 7, picture


def test_impact_panel_lists_the_nearest_services_and_counts_the_rest(
    signed_in, db, make_ci, relate
):
    array = make_ci("san-01", "storage")
    for i in range(30):  # a nearer service first, then 29 farther ones
        svc = make_ci(f"Service {i:02}", "business_service", users_count=10 + i)
        if i == 0:
            relate(svc, "depends_on", array)
        else:
            app = make_ci(f"app-{i:02}", "application")
            relate(app, "depends_on", array)
            relate(svc, "depends_on", app)
    client, _ = signed_in("agent", "employee")
    page = body(client.get(f"/cmdb/{array.id}"))
    assert "30 affected (30 down)" in page
    shown = re.findall(r"<strong>(Service \d\d)</strong>", page)
    assert len(shown) == 25
    assert shown[0] == "Service 00"
    assert "The 25 nearest of 30 services are shown; 5 more are affected." in page
    assert paths(page)[0] == ["san-01", "used by", "Service 00"]


def test_a_ci_name_saved_meanwhile_in_the_class_is_a_422_that_says_so(
    signed_in, db, small_estate, monkeypatch
):
    """The service checks names first; a CI saved between that check and the flush is caught
    by the named constraint, and the admin reads what is wrong instead of a generic 409."""
    client, _admin = signed_in("admin", "employee")
    monkeypatch.setattr(services, "_check_unique_name", lambda *args, **kwargs: None)
    response = client.post("/cmdb/new?class=server", {"name": "esx-01", "status": "in_service"})
    assert response.status_code == 422
    assert "A configuration item of this class with this name already exists." in body(response)
    assert db.session.scalar(select(func.count()).where(ConfigurationItem.name == "esx-01")) == 1


def _save_in_savepoint(db, row) -> None:
    with db.session.begin_nested():
        db.session.add(row)
        db.session.flush()


def test_only_constraints_with_a_message_become_field_errors(db, small_estate):
    """A duplicate relation (which the service never lets through) has no message for a
    person: it stays the generic 409; a duplicate CI name in a class names the field."""
    relation = db.session.scalar(select(CIRelation))
    esx = db.session.scalar(select(ConfigurationItem).where(ConfigurationItem.name == "esx-01"))
    copies = {
        "relation": CIRelation(
            source_id=relation.source_id, target_id=relation.target_id, type=relation.type
        ),
        "ci": ConfigurationItem(class_id=esx.class_id, name="esx-01", status=esx.status),
    }
    found = {}
    for what, copy in copies.items():
        with pytest.raises(IntegrityError) as refused:
            _save_in_savepoint(db, copy)
        found[what] = field_error(refused.value)
    assert found["relation"] is None
    assert found["ci"].field_errors == {
        "name": ["A configuration item of this class with this name already exists."]
    }
