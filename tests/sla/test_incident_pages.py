"""The SLA state shows on the agent's queue and on the incident page."""

from __future__ import annotations

from sqlalchemy import update

from app.auth import groups as group_services
from app.incidents import services
from app.tickets.models import Ticket
from tests.conftest import count_queries


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


def _busy_incident(db, agent, make_user, make_ci, relate, policy, others: int):
    """An incident on a VM with an SLA, a parent, a child, an open incident on the VM's host
    (a likely parent) and ``others`` more open incidents on the VM: each with a caller, an
    assignee and a group with a manager of its own."""
    from app.incidents.models import Incident

    def opened(cis, name, **values):
        group = group_services.create_group(
            actor=agent, name=f"Queue {name}", manager_id=make_user().id
        )
        assignee = make_user()
        group_services.add_members(group, [assignee], actor=agent)
        incident = services.open_incident(
            caller=make_user(),
            opened_by=agent,
            short_description=f"About {name}",
            ci_names=cis,
            assignment_group=values.pop("group", group),
            **values,
        )
        incident.assignee_id = assignee.id
        return incident

    vm, host = f"wms-app-{others}", f"esx-rtm-{others}"
    relate(make_ci(vm, "virtual_machine"), "runs_on", make_ci(host, "server"))
    desk = group_services.create_group(
        actor=agent, name=f"Desk {others}", manager_id=make_user().id
    )
    policy(desk, name="Desk resolution")
    shown = opened([vm], f"the page {others}", group=desk)
    parent, cause = opened([], f"the parent {others}"), opened([host], f"the host {others}")
    child = opened([], f"the child {others}")
    related = [opened([vm], f"related {others}.{n}") for n in range(others)]
    db.session.flush()
    shown.parent_id, child.parent_id = parent.id, shown.id
    db.session.commit()
    db.session.expire_all()
    numbers = [i.number for i in (parent, cause, child, *related)]
    return db.session.get(Incident, shown.id).number, numbers


def test_the_busy_incident_page_names_its_kin_without_reading_their_people(
    signed_in, make_user, make_ci, relate, policy, db
):
    """Related incidents, a likely parent, the parent and the children are named by number
    and summary: their people (and those people's roles, read after them) are not loaded, so
    the page's statements do not grow with them."""
    client, agent = signed_in("agent", "employee")
    counted = []
    for others in (1, 3):
        number, kin = _busy_incident(db, agent, make_user, make_ci, relate, policy, others)
        client.get(f"/incidents/{number}")
        with count_queries() as statements:
            page = client.get(f"/incidents/{number}").get_data(as_text=True)
        assert all(f"{n}</a>" in page for n in kin), kin
        assert "Desk resolution" in page
        roles = [s for s in statements if s.lstrip().startswith("SELECT role_grants")]
        assert roles == []
        # The impact panel and the likely parents share one read of the impact options.
        assert sum("FROM cmdb_settings" in s for s in statements) == 1
        counted.append(len(statements))
        db.session.execute(update(Ticket).values(state="closed"))  # the next round's alone
        db.session.commit()
    assert counted[0] == counted[1]
