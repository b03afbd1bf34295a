"""Major-incident proposals reach those who decide on them: service owners and administrators
see the proposed incident (read only), find every open proposal in one list, and decide."""

from __future__ import annotations

import pytest

from app.incidents import services
from app.incidents.models import Incident, MajorState


@pytest.fixture
def proposed(db, make_user, make_incident):
    """An incident an agent proposed as major, with a work note on it."""
    agent = make_user(roles=["agent", "employee"])
    incident = make_incident(short_description="Invoices cannot be posted", affected_service="ERP")
    services.comment(incident, author=agent, body="Ledger service times out.", public=False)
    services.propose_major(incident, actor=agent, reason="Finance is stopped at every site.")
    db.session.commit()
    return incident


@pytest.mark.parametrize("roles", [("service_owner", "employee"), ("service_owner",), ("admin",)])
def test_a_decider_opens_the_proposed_incident_and_accepts_it(signed_in, proposed, db, roles):
    client, _owner = signed_in(*roles)
    page = client.get(f"/incidents/{proposed.number}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Invoices cannot be posted" in html
    assert "Finance is stopped at every site." in html  # why it was proposed
    assert "Accept as major" in html
    response = client.post(
        f"/incidents/{proposed.number}/major/decision", {"decision": "accept", "note": "Agreed."}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Incident, proposed.id).is_major
    html = client.get(f"/incidents/{proposed.number}").get_data(as_text=True)
    assert "Major incident" in html
    assert "Accept as major" not in html


def test_a_decider_reads_the_work_notes_but_cannot_work_the_incident(signed_in, proposed, db):
    client, _owner = signed_in("service_owner", "employee")
    html = client.get(f"/incidents/{proposed.number}").get_data(as_text=True)
    assert "Ledger service times out." in html
    assert "Reply or add a work note" not in html
    assert f"/incidents/{proposed.number}/comment" not in html
    refused = client.post(f"/incidents/{proposed.number}/comment", {"body": "x", "public": "y"})
    assert refused.status_code == 403
    assert client.post(f"/incidents/{proposed.number}/assign-to-me", {}).status_code == 403


def test_a_decider_does_not_see_incidents_nobody_proposed(signed_in, make_incident):
    client, _owner = signed_in("service_owner", "employee")
    ordinary = make_incident(short_description="Mouse is slow")
    assert client.get(f"/incidents/{ordinary.number}").status_code == 404
    assert (
        client.post(
            f"/incidents/{ordinary.number}/major/decision", {"decision": "accept"}
        ).status_code
        == 404
    )


def test_employees_do_not_see_a_proposed_incident_they_are_not_party_to(signed_in, proposed):
    client, _employee = signed_in("employee")
    assert client.get(f"/incidents/{proposed.number}").status_code == 404


def test_the_list_shows_open_proposals_only(signed_in, proposed, make_incident, make_user, db):
    agent = make_user(roles=["agent"])
    decided = make_incident(short_description="Printers offline")
    services.propose_major(decided, actor=agent, reason="All printers down.")
    services.decide_major(decided, accept=False, actor=agent)
    db.session.commit()
    client, _owner = signed_in("service_owner", "employee")
    html = client.get("/incidents/major-proposals").get_data(as_text=True)
    assert proposed.number in html
    assert "Finance is stopped at every site." in html
    assert decided.number not in html
    assert f'href="/incidents/{proposed.number}"' in html


def test_the_list_says_when_nothing_waits(signed_in):
    client, _owner = signed_in("service_owner")
    html = client.get("/incidents/major-proposals").get_data(as_text=True)
    assert "No proposal waits for a decision" in html


@pytest.mark.parametrize("roles", [("agent", "employee"), ("employee",)])
def test_only_deciders_reach_the_list(signed_in, roles):
    client, _user = signed_in(*roles)
    assert client.get("/incidents/major-proposals").status_code == 403


def test_the_navigation_links_the_list_for_deciders_only(signed_in, client, make_user):
    owner_client, _owner = signed_in("service_owner", "employee")
    assert 'href="/incidents/major-proposals"' in owner_client.get("/").get_data(as_text=True)
    owner_client.post("/logout")
    agent = make_user(roles=["agent", "employee"])
    client.login(agent.username)
    assert 'href="/incidents/major-proposals"' not in client.get("/").get_data(as_text=True)


def test_a_rejected_proposal_stays_readable_to_the_decider(signed_in, proposed, db):
    client, _owner = signed_in("service_owner", "employee")
    client.post(f"/incidents/{proposed.number}/major/decision", {"decision": "reject"})
    db.session.expire_all()
    assert db.session.get(Incident, proposed.id).major_state == MajorState.REJECTED
    html = client.get(f"/incidents/{proposed.number}").get_data(as_text=True)
    assert "The proposal was rejected." in html
    assert "Accept as major" not in html


def test_a_second_decision_on_the_same_proposal_is_refused_with_a_reason(signed_in, proposed):
    client, _owner = signed_in("service_owner", "employee")
    url = f"/incidents/{proposed.number}/major/decision"
    assert client.post(url, {"decision": "accept"}).status_code == 302
    again = client.post(url, {"decision": "reject"})
    assert again.status_code == 422
    assert "No major incident proposal waits for a decision." in again.get_data(as_text=True)
