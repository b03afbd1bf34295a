"""An incident's CIs: the employee names the affected service, agents add and remove CIs with
the picker on the incident page, and the impact panel follows."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.incidents.models import Incident


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
    client.post("/logout")
    agent_client, _agent = signed_in("agent", "employee")
    page = _page(agent_client, incident)
    assert re.search(r"<dt>CIs</dt>.*ERP", page, re.S)
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
