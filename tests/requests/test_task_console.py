"""Catalog tasks in the agent console and on their page: the queues with SLA state, assignment,
hold and resume, work notes and public replies (which reach the requester's item), closing
(the last task delivers the item), stale saves, who may do what. On SQLite and PostgreSQL."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.incidents.services import open_incident
from app.requests import services
from app.requests.models import CatalogTask
from app.requests.states import CloseCode, ItemState, TaskState
from app.sla.models import SlaCalendar, SlaPolicy
from app.tickets import services as tickets
from tests.conftest import count_queries


@pytest.fixture
def task(db, org, make_item, place):
    """An open task of Kim's order (no approval), in Identity & Access's queue, with a
    resolution SLA on the queue."""
    calendar = SlaCalendar(name="Always", zone="UTC", week=[[["00:00", "24:00"]]] * 7)
    db.session.add(calendar)
    db.session.add(
        SlaPolicy(
            name="Task resolution",
            group_id=org.queue.id,
            calendar=calendar,
            kind="resolution",
            ticket_kind="catalog_task",
            targets={str(p): 480 for p in range(1, 6)},
        )
    )
    db.session.commit()
    item = place(make_item(name="Laptop", task_template=[{"stage": 1, "name": "Prepare laptop"}]))
    return item.tasks[0]


@pytest.fixture
def agent(client, org):
    client.login(org.ivan.username)
    return client


def version_in(page) -> str:
    return re.search(r'name="version" type="hidden" value="(\d+)"', page.get_data(as_text=True))[1]


def listed(client, query: str, number: str) -> bool:
    return number in client.get(f"/incidents/?{query}").get_data(as_text=True)


def test_tasks_show_in_the_agent_queues_with_their_sla(agent, db, org, task):
    incident = open_incident(
        caller=org.kim,
        opened_by=org.kim,
        short_description="Printer jammed",
        assignment_group=org.queue,
    )
    db.session.commit()
    assert listed(agent, "view=unassigned", task.number)
    assert listed(agent, "view=open", task.number)
    assert listed(agent, "view=open", incident.number)
    assert not listed(agent, "view=mine", task.number)
    assert not listed(agent, "view=open&kind=incident", task.number)
    assert listed(agent, "view=open&kind=incident", incident.number)
    assert listed(agent, "view=open&kind=catalog_task", task.number)
    assert not listed(agent, "view=open&kind=catalog_task", incident.number)
    assert not listed(agent, "view=open&category=hardware", task.number)  # incident-only filter
    assert listed(agent, "q=prepare", task.number)
    row = agent.get("/incidents/?view=unassigned").get_data(as_text=True)
    start = row.rindex("<tr>", 0, row.index(task.number))
    row = row[start : row.index("</tr>", start)]
    assert f"/requests/tasks/{task.number}" in row
    assert f"{task.item.number} · Laptop" in row
    assert "dg-sla-in_progress" in row
    assert "left" in row

    page = agent.get(f"/requests/tasks/{task.number}").get_data(as_text=True)
    assert "Task resolution" in page  # the SLA panel
    response = agent.post(
        f"/requests/tasks/{task.number}/assign",
        {
            "version": version_in(agent.get(f"/requests/tasks/{task.number}")),
            "group": str(org.queue.id),
            "assignee": str(org.ivan.id),
        },
    )
    assert response.status_code == 302
    assert listed(agent, "view=mine", task.number)
    assert not listed(agent, "view=unassigned", task.number)


def test_an_agent_works_and_closes_the_last_task_which_delivers_the_item(agent, db, org, task):
    url = f"/requests/tasks/{task.number}"

    def post(action: str, **data: str):
        data.setdefault("version", version_in(agent.get(url)))
        return agent.post(f"{url}/{action}", data)

    assert post("state", state="in_progress").status_code == 302
    assert post("state", state="on_hold", hold_reason="awaiting_caller").status_code == 302
    db.session.expire_all()
    assert (task.state, task.hold_reason.value) == ("on_hold", "awaiting_caller")
    assert post("state", state="in_progress").status_code == 302  # resumed
    assert post("comment", body="Imaged with the finance profile").status_code == 302
    assert post("comment", body="Ready for pick-up at the desk", public="y").status_code == 302
    item = task.item
    requester_view = [e.body for e in tickets.timeline(item, public_only=True, newest_first=True)]
    assert "Ready for pick-up at the desk" in requester_view
    assert "Imaged with the finance profile" not in requester_view
    page = agent.get(url).get_data(as_text=True)
    assert "Imaged with the finance profile" in page
    assert "Ready for pick-up" in page

    refused = post("state", state="closed", close_code="incomplete")
    assert refused.status_code == 422
    assert "Say why the task was not completed" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert task.state == TaskState.IN_PROGRESS

    done = post("state", state="closed", close_code="complete", close_notes="Handed over")
    assert done.status_code == 302
    flashed = agent.get(url).get_data(as_text=True)
    assert "Delivered" in flashed
    db.session.expire_all()
    assert task.state == TaskState.CLOSED
    assert task.close_code == CloseCode.COMPLETE
    assert item.state == ItemState.CLOSED
    assert item.close_code == CloseCode.COMPLETE
    assert item.request.state == "closed"
    assert not listed(agent, "view=open", task.number)
    assert listed(agent, "view=all&state=closed", task.number)
    assert 'action="/requests/tasks/' + task.number + '/state"' not in flashed  # nothing left


def test_a_stale_save_is_refused_with_who_changed_it(agent, db, org, task):
    url = f"/requests/tasks/{task.number}"
    version = version_in(agent.get(url))
    services.assign_task(task, group=org.queue, assignee=org.iris, actor=org.gina)
    db.session.commit()
    response = agent.post(f"{url}/state", {"version": version, "state": "in_progress"})
    assert response.status_code == 409
    body = response.get_data(as_text=True)
    assert "changed by someone else" in body
    assert "Gina Manager changed assignee" in body
    response = agent.post(
        f"{url}/assign", {"version": version, "group": str(org.queue.id), "assignee": ""}
    )
    assert response.status_code == 409
    db.session.expire_all()
    assert task.state == TaskState.NEW
    assert task.assignee_id == org.iris.id


def test_who_may_see_and_work_a_task(client, signed_in, db, org, task, queue, make_user):
    url = f"/requests/tasks/{task.number}"
    employee, _ = signed_in("employee")
    assert employee.get(url).status_code == 403
    assert employee.post(f"{url}/comment", {"body": "hi"}).status_code == 403
    assert employee.get("/incidents/?kind=catalog_task").status_code == 403
    employee.post("/logout")
    outsider = make_user(roles=["agent", "employee"])
    queue("Network", members=(outsider,))
    client.login(outsider.username)
    assert client.get(url).status_code == 200  # agents see every task …
    response = client.post(f"{url}/state", {"version": str(task.version), "state": "in_progress"})
    assert response.status_code == 403  # … but only its group works it
    assert client.get("/requests/tasks/SCTASK9999999").status_code == 404


def test_the_console_stays_bounded_with_tasks(agent, db, org, make_item, place, task):
    def statements() -> int:
        with count_queries() as run:
            assert agent.get("/incidents/?view=open&per_page=50").status_code == 200
        return len(run)

    few = statements()
    item = make_item(task_template=[{"stage": 1, "name": "A"}, {"stage": 1, "name": "B"}])
    for _ in range(6):
        place(item)
    assert len(db.session.scalars(select(CatalogTask)).all()) == 13
    # The incidents' page, one query for the tasks' items, two for the shell's counts (My
    # approvals, the bell).
    assert statements() == few <= 16


def test_a_swedish_agent_reads_the_task_states_and_refusals_in_swedish(agent, db, org, task):
    org.ivan.language = "sv"
    db.session.commit()
    url = f"/requests/tasks/{task.number}"
    page = agent.get(url).get_data(as_text=True)
    assert '<option value="on_hold">Väntande</option>' in page
    assert '<option value="complete">Stängd, slutförd</option>' in page
    refused = agent.post(
        f"{url}/state", {"version": version_in(agent.get(url)), "state": "closed"}
    ).get_data(as_text=True)
    assert "Välj hur uppgiften slutade: slutförd, ej slutförd eller överhoppad." in refused
    again = agent.post(f"{url}/state", {"version": version_in(agent.get(url)), "state": "new"})
    assert "Uppgiften är redan ny." in again.get_data(as_text=True)
    done = agent.post(
        f"{url}/state",
        {"version": version_in(agent.get(url)), "state": "closed", "close_code": "complete"},
    )
    assert done.status_code == 302
    closed = agent.get(url).get_data(as_text=True)
    assert "är nu stängd." in closed
    assert ">Stängd, slutförd</span>" in closed

    org.ivan.language = "en"
    db.session.commit()
    english = agent.get(url).get_data(as_text=True)
    assert ">Closed complete</span>" in english


def test_the_task_page_names_no_group_and_nobody_in_the_readers_language(agent, db, org, task):
    for language, no_group, nobody in (
        ("sv", "— Otilldelad —", "— Ingen än —"),
        ("en", "— Unassigned —", "— Nobody yet —"),
    ):
        org.ivan.language = language
        db.session.commit()
        page = agent.get(f"/requests/tasks/{task.number}").get_data(as_text=True)
        assert f'<option value="">{no_group}</option>' in page
        assert nobody in page
