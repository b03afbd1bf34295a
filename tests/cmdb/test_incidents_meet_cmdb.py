"""Incidents meet the CMDB: routing by a CI's support group, the suggested impact, and
correlation with open incidents upstream."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.auth import groups as group_services
from app.errors import Invalid
from app.i18n.stored import english
from app.incidents import services
from app.incidents.models import Incident, RoutingRule
from app.tickets.models import EntryKind, JournalEntry
from tests.conftest import count_queries


def _open(caller, cis, **values):
    return services.open_incident(
        caller=caller, opened_by=caller, short_description="Broken", ci_names=cis, **values
    )


def _host_and_vm_incidents(db, caller, make_ci, relate):
    """A VM running on a host, an incident on each: ``(host, host's, VM's)``."""
    host = make_ci("esx-rtm-02", "server")
    vm = make_ci("wms-app-02", "virtual_machine")
    relate(vm, "runs_on", host)
    cause = _open(caller, ["esx-rtm-02"])
    effect = _open(caller, ["wms-app-02"])
    db.session.commit()
    return host, cause, effect


def test_a_cis_support_group_routes_before_the_default_rule(db, make_user, make_ci):
    admin = make_user(roles=["admin"])
    infra = group_services.create_group(actor=admin, name="Infrastructure")
    desk = group_services.create_group(actor=admin, name="Service Desk")
    network = group_services.create_group(actor=admin, name="Network")
    db.session.add_all(
        [
            RoutingRule(position=10, category="Network", group_id=network.id),
            RoutingRule(position=99, group_id=desk.id),
        ]
    )
    make_ci("esx-rtm-02", "server", support_group_id=infra.id)
    caller = make_user()
    assert _open(caller, ["ESX-RTM-02"]).assignment_group_id == infra.id
    assert _open(caller, ["esx-rtm-02"], category="Network").assignment_group_id == network.id
    assert _open(caller, []).assignment_group_id == desk.id


def test_a_support_group_that_takes_no_tickets_leaves_routing_to_the_rules(db, make_user, make_ci):
    admin = make_user(roles=["admin"])
    owners = group_services.create_group(
        actor=admin, name="Hardware owners", is_assignment_group=False
    )
    desk = group_services.create_group(actor=admin, name="Service Desk")
    db.session.add(RoutingRule(position=99, group_id=desk.id))
    make_ci("esx-rtm-03", "server", support_group_id=owners.id)
    with count_queries() as routed:
        incident = _open(make_user(), ["esx-rtm-03"])
    assert incident.assignment_group_id == desk.id
    # The CI's support group and whether it takes tickets are read together.
    assert not [s for s in routed if "FROM groups" in s and "configuration_items" not in s]


def test_agent_takes_the_impact_the_cmdb_suggests(signed_in, db, make_ci, relate):
    client, agent = signed_in("agent", "employee")
    service = make_ci("Web shop", "business_service", users_count=400)
    app_ci = make_ci("shop-app")
    relate(app_ci, "provides", service)
    caller = agent
    incident = _open(caller, ["shop-app"], impact=3, urgency=2)
    db.session.commit()
    page = client.get(f"/incidents/{incident.number}").get_data(as_text=True)
    assert "Web shop" in page
    assert "The CMDB suggests impact <strong>1</strong>" in page
    version = re.search(r'name="version" value="(\d+)"', page)[1]
    response = client.post(f"/incidents/{incident.number}/impact/accept", {"version": version})
    assert response.status_code == 302
    db.session.expire_all()
    incident = db.session.get(Incident, incident.id)
    assert (incident.impact, incident.priority) == (1, 2)
    entry = db.session.scalars(
        select(JournalEntry).where(
            JournalEntry.ticket_id == incident.id, JournalEntry.kind == EntryKind.CHANGE
        )
    ).one()
    assert "from the CMDB" in entry.body
    assert "Web shop down" in entry.body


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("sv", "Påverkan 1 enligt CMDB: 1 verksamhetstjänst(er) påverkade (Web shop nere)"),
        ("en", "Impact 1 from the CMDB: 1 service(s) affected (Web shop down)"),
    ],
)
def test_the_agent_is_told_why_in_their_language(signed_in, db, make_ci, relate, language, said):
    client, agent = signed_in("agent", "employee")
    agent.language = language
    service = make_ci("Web shop", "business_service", users_count=400)
    relate(make_ci("shop-app"), "provides", service)
    incident = _open(agent, ["shop-app"], impact=3, urgency=2)
    db.session.commit()
    response = client.post(
        f"/incidents/{incident.number}/impact/accept",
        {"version": str(incident.version)},
        follow_redirects=True,
    )
    assert said in response.get_data(as_text=True)


def test_accepting_the_cmdb_impact_is_a_service_that_writes_why(db, make_user, make_ci, relate):
    """Callable without a request: the CLI or a job can take the CMDB's impact too."""
    caller = make_user(roles=["agent"])
    for n in range(5):
        relate(make_ci(f"shop-app-{n}"), "provides", make_ci(f"Shop {n}", "business_service"))
    incident = _open(caller, [f"shop-app-{n}" for n in range(5)], impact=3, urgency=2)
    lonely = _open(caller, [], impact=3, urgency=2)
    why = english(
        services.accept_cmdb_impact(incident, actor=caller, expected_version=incident.version)
    )
    assert incident.impact < 3
    assert "5 service(s) affected (Shop " in why
    assert " and 2 more down)" in why
    with pytest.raises(Invalid) as refused:
        services.accept_cmdb_impact(lonely, actor=caller, expected_version=lonely.version)
    assert refused.value.field_errors == {"impact": ["The CMDB suggests no impact for these CIs."]}


def test_an_incident_downstream_of_an_open_one_is_offered_as_its_child(
    signed_in, db, make_ci, relate
):
    client, agent = signed_in("agent", "employee")
    _host, cause, effect = _host_and_vm_incidents(db, agent, make_ci, relate)
    page = client.get(f"/incidents/{effect.number}").get_data(as_text=True)
    assert "Possibly caused by" in page
    assert cause.number in page
    assert "esx-rtm-02" in page
    # The path from the cause is drawn as linked CI chips with the relation, not ASCII arrows.
    candidates = page.split("Possibly caused by", 1)[1]
    assert 'class="dg-path"' in candidates
    assert "-(" not in candidates.split("</section>", 1)[0]
    assert f'href="/cmdb/{_host.id}"' in candidates
    assert (
        client.post(f"/incidents/{effect.number}/parent", {"parent": cause.number}).status_code
        == 302
    )
    db.session.expire_all()
    assert db.session.get(Incident, effect.id).parent_id == cause.id
    page = client.get(f"/incidents/{effect.number}").get_data(as_text=True)
    assert "Possibly caused by" not in page  # already linked
    other_way = client.get(f"/incidents/{cause.number}").get_data(as_text=True)
    assert "Possibly caused by" not in other_way  # a host does not depend on its VM


def test_renaming_a_ci_keeps_its_incidents_and_their_correlation(signed_in, db, make_ci, relate):
    client, admin = signed_in("admin", "agent", "employee")
    host, cause, effect = _host_and_vm_incidents(db, admin, make_ci, relate)
    edit = client.get(f"/cmdb/{host.id}/edit").get_data(as_text=True)
    version = re.search(r'name="version"[^>]* value="(\d+)"', edit)[1]
    response = client.post(
        f"/cmdb/{host.id}/edit",
        {"version": version, "name": "esx-rtm-02-new", "status": "in_service"},
    )
    assert response.status_code == 302
    assert "esx-rtm-02-new" in client.get(f"/incidents/{cause.number}").get_data(as_text=True)
    ci_page = client.get(f"/cmdb/{host.id}").get_data(as_text=True)
    assert cause.number in ci_page
    page = client.get(f"/incidents/{effect.number}").get_data(as_text=True)
    assert "Possibly caused by" in page
    assert cause.number in page
    assert "esx-rtm-02-new" in page
    listed = client.get("/incidents/?view=all&ci=ESX-RTM-02-NEW").get_data(as_text=True)
    assert cause.number in listed
    assert effect.number not in listed
