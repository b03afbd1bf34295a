"""The SLA state shows on the agent's queue and on the incident page."""

from __future__ import annotations

from app.auth import groups as group_services
from app.incidents import services


def test_queue_row_and_incident_page_show_the_sla(signed_in, make_user, policy, db):
    client, agent = signed_in("agent", "employee")
    desk = group_services.create_group(actor=agent, name="Service Desk")
    group_services.add_members(desk, [agent], actor=agent)
    policy(desk, name="Desk resolution")
    incident = services.open_incident(
        caller=agent, opened_by=agent, short_description="Printer jam", assignment_group=desk
    )
    db.session.commit()
    console = client.get("/incidents/").get_data(as_text=True)
    assert incident.number in console
    assert "of business time left" in client.get(f"/incidents/{incident.number}").get_data(
        as_text=True
    )
    page = client.get(f"/incidents/{incident.number}").get_data(as_text=True)
    assert "Service levels" in page
    assert "Desk resolution" in page
    assert "dg-sla" in console  # the queue row carries the SLA badge
