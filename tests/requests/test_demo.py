"""The demo catalog and requests load through the services, once, in the states they show."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.cmdb.demo import load_cmdb
from app.demo import load_organisation, read_demo_file, read_organisation
from app.requests import services
from app.requests.demo import ITEMS, load_catalog, load_requests
from app.requests.models import CatalogItem, RequestItem
from app.timeutils import utc_now


def test_the_demo_catalog_and_requests_load_once(db):
    load_organisation(read_organisation())
    load_cmdb(read_demo_file("cmdb.json"))
    first = load_catalog()
    added = load_requests(utc_now())
    db.session.commit()
    assert first.items_added == len(ITEMS) == 7
    assert added == 6
    assert (load_catalog().items_added, load_requests(utc_now())) == (0, 0)
    assert db.session.scalar(select(func.count()).select_from(CatalogItem)) == 7
    statuses = {
        i.catalog_item.name: services.item_status(i)
        for i in db.session.scalars(select(RequestItem))
    }
    assert statuses["Laptop replacement"].startswith("Waiting for approval by ")
    assert statuses["Shared mailbox"] == "Rejected: Use the marketing@ mailbox we already have."
    assert statuses["Software upgrade"] == "Delivered"
    assert statuses["Software installation"] == "In progress"
    assert statuses["VPN access"].startswith("Waiting for approval by ")
    access = db.session.scalar(
        select(RequestItem).where(RequestItem.short_description == "Access to a directory group")
    )
    assert services.item_status(access) == "In progress"  # the change fell back to a person
    assert "sync it from the directory" in access.tasks[0].description


# What the README promises each demo persona, walked through the services: `employee` orders
# the everyday items for themselves, `l.marchetti` (their manager) approves, `owner` approves
# for IT Leadership, `agent` delivers, `admin` runs the catalog.
EVERYDAY = {
    "Software installation": {"software": "Visual Studio Code", "reason": "Site templates"},
    "Software upgrade": {"software": "Zoom Workplace", "version": "latest"},
    "VPN access": {"reason": "Working from home on Fridays."},
    "Access to a directory group": {"directory_group": "Wiki editors", "reason": "Events"},
    "Laptop replacement": {"model": "14-inch standard", "reason": "Broken"},
}
APPROVERS = ("l.marchetti", "owner")


def _people(db) -> dict:
    """The demo people by username (the tests marked ``demo("catalog")`` run on the demo
    organisation, CMDB and catalog, loaded once per session, without the demo requests)."""
    from app.auth.models import User

    return {u.username: u for u in db.session.scalars(select(User))}


def _software_id(db, name: str) -> str:
    from app.cmdb.models import ConfigurationItem

    return str(
        db.session.scalar(select(ConfigurationItem.id).where(ConfigurationItem.name == name))
    )


@pytest.mark.demo("catalog")
def test_the_demo_agent_can_work_every_open_demo_task(db):
    from app.requests.models import CatalogTask
    from app.requests.permissions import may_work_task

    people = _people(db)
    load_requests(utc_now())
    db.session.commit()
    tasks = [t for t in db.session.scalars(select(CatalogTask)) if t.is_open]
    assert len(tasks) >= 2
    assert [t.number for t in tasks if not may_work_task(people["agent"], t)] == []


@pytest.mark.demo("catalog")
def test_every_readme_persona_finishes_the_everyday_orders(db):
    from app.requests.fulfilment.services import change_task_state
    from app.requests.ordering.services import OrderLine, order
    from app.requests.permissions import may_administer_catalog, may_work_task
    from app.requests.states import TaskState

    people = _people(db)
    emma, agent = people["employee"], people["agent"]
    assert may_administer_catalog(people["admin"], None)
    items = {i.name: i for i in db.session.scalars(select(CatalogItem))}
    for name, answers in EVERYDAY.items():
        if "software" in answers:
            answers = answers | {"software": _software_id(db, answers["software"])}
        assert services.may_order(emma, items[name]), name
        item = order(orderer=emma, requested_for=emma, lines=[OrderLine(items[name], answers)])
        item = item.items[0]
        while item.state == "pending_approval":
            waiting = {a.approver.username: a for a in item.waiting_approvals}
            persona = next((p for p in APPROVERS if p in waiting), None)
            assert persona, f"{name} waits for {sorted(waiting)}, none of them a demo sign-in"
            approver = people[persona]
            assert [a.id for a in services.waiting_for(approver)] == [waiting[persona].id]
            services.decide(waiting[persona], actor=approver, approve=True)
        while open_tasks := [t for t in item.tasks if t.is_open]:
            for task in open_tasks:
                assert may_work_task(agent, task), f"{name}: {task.assignment_group.name}"
                change_task_state(task, TaskState.IN_PROGRESS, actor=agent)
                change_task_state(task, TaskState.CLOSED, actor=agent, close_code="complete")
            db.session.expire(item, ["tasks"])
        db.session.commit()
        assert services.item_status(item) == "Delivered", name
    mine = {i.catalog_item.name for r in services.my_requests(emma) for i in r.items}
    assert mine == set(EVERYDAY)


@pytest.mark.demo("catalog")
def test_the_demo_software_items_offer_workstation_software_only(client, db):
    from app.demo import read_organisation as organisation

    client.login("employee", organisation()["demo_password"])
    items = {i.name: i for i in db.session.scalars(select(CatalogItem))}
    for name in ("Software installation", "Software upgrade"):
        url = f"/requests/cis?form={items[name].form.id}&variable=software"
        offered = client.get(f"{url}&q=").get_data(as_text=True)
        assert "Visual Studio Code" in offered
        assert "Microsoft 365 Apps" in offered
        assert "Adobe Acrobat Pro" in offered
        for datacentre in ("vSphere", "Windows Server 2022 Datacenter", "SQL Server"):
            assert datacentre not in offered, (name, datacentre)
            found = client.get(f"{url}&q={datacentre}").get_data(as_text=True)
            assert f"No match for “{datacentre}”" in found
        hosts = client.get(f"{url}&q=db").get_data(as_text=True)
        assert "No match for “db”" in hosts
    page = client.get(f"/requests/catalog/{items['Software installation'].id}")
    assert "Visual Studio Code" in page.get_data(as_text=True)
    assert "vSphere" not in page.get_data(as_text=True)
    assert "db-" not in client.get("/requests/cis?q=db").get_data(as_text=True)
