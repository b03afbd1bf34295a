"""An incident's CIs: the employee names the affected service, agents add and remove CIs with
the picker on the incident page, and the impact panel follows."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.cmdb.graph.vocabulary import Lifecycle
from app.incidents.models import Incident
from app.tickets.models import EntryKind, JournalEntry
from tests.conftest import count_queries


@pytest.fixture
def services_estate(db, make_user, make_ci, relate, queue):
    """ERP (used by the "ERP users" group, running on the host erp-db-01) and Email (nobody's
    in particular), with an employee in "ERP users"."""
    employee = make_user(username="emma", roles=["employee"])
    erp_users = queue("ERP users", members=(employee,))
    erp = make_ci("ERP", "business_service", users_group_id=erp_users.id, users_count=40)
    mail = make_ci("Email", "business_service", users_count=300)
    host = make_ci("erp-db-01", "server")
    relate(host, "provides", erp)
    return {"employee": employee, "erp": erp, "mail": mail, "host": host}


def _page(client, incident) -> str:
    return client.get(f"/incidents/{incident.number}").get_data(as_text=True)


def _version(page: str) -> str:
    return re.search(r'name="version" value="(\d+)"><input type="hidden" name="ci"', page)[1]


def test_employee_names_a_service_they_use_and_the_agent_sees_its_impact(
    client, signed_in, db, services_estate
):
    client.login("emma")
    form = client.get("/incidents/report").get_data(as_text=True)
    assert re.search(r'<optgroup label="Services you use"><option value="\d+">ERP</option>', form)
    assert re.search(r'<optgroup label="Other services"><option value="\d+">Email</option>', form)
    assert "I don&#39;t know" in form
    assert "erp-db-01" not in form  # never a CMDB host
    response = client.post(
        "/incidents/report",
        {
            "short_description": "Cannot post invoices",
            "description": "",
            "service": str(services_estate["erp"].id),
            "urgency": "2",
            "attachment": "",
        },
    )
    assert response.status_code == 302
    incident = db.session.scalar(select(Incident))
    assert incident.affected_service == "ERP"
    assert [ci.name for ci in incident.cis] == ["ERP"]
    ticket = client.get(f"/incidents/{incident.number}").get_data(as_text=True)
    assert "<dt>Service</dt><dd>ERP</dd>" in ticket  # the employee sees what they named
    client.post("/logout")
    agent_client, _agent = signed_in("agent", "employee")
    page = _page(agent_client, incident)
    assert re.search(r'id="incident-cis">.*>ERP</a>', page, re.S)
    assert "<strong>ERP</strong>" in page  # the impact panel sees the service


def test_the_report_form_refuses_a_host_and_takes_i_dont_know(client, db, services_estate):
    client.login("emma")
    refused = client.post(
        "/incidents/report",
        {"short_description": "Slow", "service": str(services_estate["host"].id), "urgency": "3"},
    )
    assert refused.status_code == 422
    assert "Not a valid choice" in refused.get_data(as_text=True)
    assert db.session.scalar(select(Incident)) is None
    response = client.post(
        "/incidents/report", {"short_description": "Slow", "service": "", "urgency": "3"}
    )
    assert response.status_code == 302
    assert db.session.scalar(select(Incident)).cis == []


def test_agent_adds_and_removes_a_ci_and_the_impact_panel_follows(
    signed_in, db, make_incident, services_estate
):
    client, agent = signed_in("agent", "employee")
    incident = make_incident(short_description="Invoices fail")
    page = _page(client, incident)
    assert "<strong>ERP</strong>" not in page  # no CI, no impact yet
    options = client.get(
        f"/incidents/{incident.number}/cis/options?q=ERP-DB&version={incident.version}"
    ).get_data(as_text=True)
    assert 'aria-label="Add erp-db-01"' in options
    assert "Email" not in options
    response = client.post(
        f"/incidents/{incident.number}/cis",
        {"ci": str(services_estate["host"].id), "version": _version(options)},
    )
    assert response.status_code == 302
    page = _page(client, incident)
    assert 'aria-label="Remove erp-db-01"' in page
    assert "<strong>ERP</strong>" in page  # the host provides ERP: the impact panel follows
    entry = db.session.scalars(
        select(JournalEntry).where(
            JournalEntry.ticket_id == incident.id, JournalEntry.kind == EntryKind.CHANGE
        )
    ).one()
    assert entry.changes == {"cis": [[], ["erp-db-01"]]}
    assert entry.author_id == agent.id

    stale = client.post(
        f"/incidents/{incident.number}/cis/remove",
        {"ci": str(services_estate["host"].id), "version": str(incident.version - 1)},
    )
    assert stale.status_code == 409
    assert "changed by someone else" in stale.get_data(as_text=True)
    db.session.expire_all()
    assert [ci.name for ci in db.session.get(Incident, incident.id).cis] == ["erp-db-01"]

    removed = client.post(
        f"/incidents/{incident.number}/cis/remove",
        {"ci": str(services_estate["host"].id), "version": _version(page)},
    )
    assert removed.status_code == 302
    page = _page(client, incident)
    assert 'aria-label="Remove erp-db-01"' not in page
    assert "<strong>ERP</strong>" not in page


def test_the_picker_refuses_unknown_cis_and_missing_versions(
    signed_in, db, make_incident, services_estate
):
    client, _agent = signed_in("agent", "employee")
    incident = make_incident()
    version = str(incident.version)
    for data in ({"ci": "999999", "version": version}, {"ci": "x' or 1", "version": version}):
        assert client.post(f"/incidents/{incident.number}/cis", data).status_code == 422
    no_version = {"ci": str(services_estate["host"].id)}
    assert client.post(f"/incidents/{incident.number}/cis", no_version).status_code == 422
    db.session.expire_all()
    assert db.session.get(Incident, incident.id).cis == []


def test_employees_cannot_use_the_ci_picker(client, db, make_incident, services_estate):
    employee = services_estate["employee"]
    incident = make_incident(caller=employee)
    client.login("emma")
    options = client.get(f"/incidents/{incident.number}/cis/options?q=erp")
    assert options.status_code == 403
    assert "erp-db-01" not in options.get_data(as_text=True)
    added = client.post(
        f"/incidents/{incident.number}/cis",
        {"ci": str(services_estate["host"].id), "version": str(incident.version)},
    )
    assert added.status_code == 403
    ticket = client.get(f"/incidents/{incident.number}").get_data(as_text=True)
    assert "incident-ci-search" not in ticket
    db.session.expire_all()
    assert db.session.get(Incident, incident.id).cis == []


def test_the_agents_new_incident_form_links_cis_by_name_in_any_case(signed_in, db, services_estate):
    client, _agent = signed_in("agent", "employee")
    form = {
        "caller": "emma",
        "channel": "phone",
        "short_description": "Invoices fail",
        "description": "",
        "category": "",
        "subcategory": "",
        "affected_service": "",
        "impact": "3",
        "urgency": "3",
    }
    refused = client.post("/incidents/new", {**form, "cis": "ERP-DB-01, erp-db-99"})
    assert refused.status_code == 422
    assert "No CI is named erp-db-99." in refused.get_data(as_text=True)
    assert db.session.scalar(select(Incident)) is None
    response = client.post("/incidents/new", {**form, "cis": "ERP-DB-01, email"})
    assert response.status_code == 302
    incident = db.session.scalar(select(Incident))
    assert [ci.name for ci in incident.cis] == ["Email", "erp-db-01"]


def test_a_report_naming_no_service_reads_no_services_but_shows_them_when_refused(
    client, db, services_estate
):
    client.login("emma")
    client.get("/incidents/report")
    with count_queries() as reported:
        response = client.post(
            "/incidents/report", {"short_description": "Slow", "service": "", "urgency": "3"}
        )
    assert response.status_code == 302
    assert not [s for s in reported if "FROM configuration_items" in s]
    refused = client.post("/incidents/report", {"short_description": "", "urgency": "3"})
    assert refused.status_code == 422
    assert ">ERP</option>" in refused.get_data(as_text=True)  # every choice offered again


def test_the_report_form_offers_services_of_every_service_class_in_service(
    client, db, services_estate, service_kinds, make_ci
):
    """A service of a subclass of business services is offered (the subclass's own
    subclasses too); a retired service and any other class are not."""
    make_ci("Payroll SaaS", "saas_service")
    make_ci("Team chat", "chat_service", status=Lifecycle.IN_MAINTENANCE)
    make_ci("Old intranet", "business_service", status=Lifecycle.RETIRED)
    make_ci("Old chat", "chat_service", status=Lifecycle.RETIRED)
    client.login("emma")
    form = client.get("/incidents/report").get_data(as_text=True)
    others = re.search(r'<optgroup label="Other services">(.*?)</select>', form, re.S)[1]
    assert re.findall(r">([^<]+)</option>", others) == ["Email", "Payroll SaaS", "Team chat"]
    assert "Old intranet" not in form
    assert "Old chat" not in form
    assert "erp-db-01" not in form
