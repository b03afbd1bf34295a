"""A kind of business service an administrator added under ``business_service`` (here
``saas_service`` and ``chat_service`` below it) is a business service to its owner as it is to
the impact engine: it is on their home, they may read the incidents reported against it and
their services dashboard offers it (both databases; that they hear of a major incident proposed
on it: tests/notifications/test_other_events.py, the major proposal)."""

from __future__ import annotations

from app.cmdb.ownership import owned_services, owns_service
from app.reports.pages.reach import service_choices


def test_the_owner_of_a_kind_of_business_service_owns_it(
    db, service_kinds, make_ci, make_user, make_incident, client
):
    owner = make_user("chat_owner", roles=["service_owner", "employee"])
    make_ci("Team chat", "chat_service", owner_id=owner.id)
    make_ci("Payroll SaaS", "saas_service", owner_id=owner.id)
    make_ci("Old chat", "chat_service", owner_id=owner.id, status="retired")
    make_ci("chat-app-01", "application", owner_id=owner.id)  # owned, but no service
    incident = make_incident(short_description="Chat is down", affected_service="Team chat")

    assert [ci.name for ci in owned_services(owner.id)] == ["Payroll SaaS", "Team chat"]
    assert owns_service(owner.id, "Team chat")
    assert not owns_service(owner.id, "chat-app-01")
    assert [name for _id, name in service_choices(owner.id)] == ["Payroll SaaS", "Team chat"]

    client.login(owner.username)
    home = client.get("/").get_data(as_text=True)
    assert ">Team chat</a>" in home
    assert ">Payroll SaaS</a>" in home
    assert ">Old chat</a>" not in home
    assert client.get(f"/incidents/{incident.number}").status_code == 200
