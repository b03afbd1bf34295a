"""SLA policies narrowed to a catalog item: they measure that item's requested items (RITM) and
their tasks (SCTASK) only, optionally one of those kinds; replays agree with the stored
records; the policy form offers the active items and refuses contradictions."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from app.errors import Conflict, Invalid
from app.requests.catalog import services as catalog
from app.requests.fulfilment.services import assign_task, change_task_state, comment
from app.requests.models import FormVersion
from app.requests.states import TaskState
from app.sla.jobs import run_tick
from app.sla.models import SlaPolicy, TaskSla
from app.sla.replay import replay
from app.sla.services import load_batch
from app.tickets.holds import HoldReason
from tests.conftest import count_queries
from tests.sla.conftest import DATABASE_EXAMPLES, at, policy_form


def _measured(db, *tickets) -> list[set[str]]:
    """The names of the policies that keep a record of each ticket."""
    db.session.expire_all()
    query = select(TaskSla.ticket_id, SlaPolicy.name).join(SlaPolicy)
    names: dict[int, set[str]] = {t.id: set() for t in tickets}
    for ticket_id, name in db.session.execute(query):
        names.setdefault(ticket_id, set()).add(name)
    return [names[t.id] for t in tickets]


def test_a_policy_narrowed_to_an_item_measures_its_tickets_only(
    app, db, org, make_item, place, policy, make_incident
):
    laptop, phone = make_item(name="Laptop"), make_item(name="Phone")
    policy(org.queue, name="Laptop tasks", catalog_item_id=laptop.id, ticket_kind="catalog_task")
    policy(org.queue, name="Laptop anything", catalog_item_id=laptop.id)
    policy(org.queue, name="Laptop items", catalog_item_id=laptop.id, ticket_kind="request_item")
    policy(org.queue, name="Phone tasks", catalog_item_id=phone.id, ticket_kind="catalog_task")
    policy(org.queue, name="Queue", targets={p: 600 for p in range(1, 6)})
    start = at("2026-03-02 09:00")
    ordered, other = place(laptop, now=start), place(phone, now=start)
    incident = make_incident(assignment_group=org.queue, now=start)
    db.session.expire_all()
    (task,), (other_task,) = ordered.tasks, other.tasks
    assert (ordered.assignment_group_id, task.assignment_group_id) == (org.queue.id,) * 2
    assert _measured(db, ordered, task, other, other_task, incident) == [
        {"Laptop anything", "Laptop items", "Queue"},
        {"Laptop anything", "Laptop tasks", "Queue"},
        {"Queue"},
        {"Phone tasks", "Queue"},
        {"Queue"},
    ]
    tickets = [ordered.id, task.id, other.id, other_task.id, incident.id]
    assert replay(tickets) == []
    # Working the laptop's task keeps the narrowed records right: met at the close.
    change_task_state(task, TaskState.IN_PROGRESS, actor=org.ivan, now=at("2026-03-02 10:00"))
    change_task_state(
        task, TaskState.CLOSED, actor=org.ivan, close_code="complete",
        close_notes="Delivered", now=at("2026-03-02 11:30"),
    )  # fmt: skip
    db.session.commit()
    rows = db.session.execute(
        select(SlaPolicy.name, TaskSla.stage, TaskSla.elapsed_seconds)
        .join(SlaPolicy)
        .where(TaskSla.ticket_id == task.id, SlaPolicy.name == "Laptop tasks")
    ).all()
    assert [(name, stage, seconds) for name, stage, seconds in rows] == [
        ("Laptop tasks", "met", 150 * 60)
    ]
    assert replay(tickets) == []
    result = app.test_cli_runner().invoke(args=["sla", "replay"])
    assert result.exit_code == 0, result.output
    assert "The task SLA records match the event log." in result.output


def test_narrowing_a_policy_later_drops_the_records_it_no_longer_measures(
    signed_in, db, org, make_item, place, calendar_row
):
    client, _admin = signed_in("admin", "employee")
    laptop, phone = make_item(name="Laptop"), make_item(name="Phone")
    calendar = calendar_row()
    url = f"/sla/queues/{org.queue.id}/policies/new"
    assert client.post(url, policy_form(calendar, name="OLA")).status_code == 302
    laptop_task = place(laptop, now=at("2026-03-02 09:00")).tasks[0]
    phone_task = place(phone, now=at("2026-03-02 09:00")).tasks[0]
    assert _measured(db, laptop_task, phone_task) == [{"OLA"}, {"OLA"}]
    saved = db.session.scalar(select(SlaPolicy).where(SlaPolicy.name == "OLA"))
    narrowed = policy_form(
        calendar, name="OLA", catalog_item=str(laptop.id), version=str(saved.version)
    )
    assert client.post(f"/sla/policies/{saved.id}", narrowed).status_code == 302
    assert _measured(db, laptop_task, phone_task) == [{"OLA"}, set()]
    assert replay([laptop_task.id, phone_task.id]) == []


def test_the_loader_reads_catalog_items_in_one_query_whatever_the_batch(
    db, org, make_item, place, policy
):
    laptop = make_item()
    narrowed = policy(org.queue, name="Laptop", catalog_item_id=laptop.id)
    ids = []
    for _ in range(4):
        item = place(laptop, now=at("2026-03-02 09:00"))
        ids += [item.id, item.request.id, item.tasks[0].id]
    counts, item_reads = [], []
    for batch in (ids[:1], ids[:3], ids):
        db.session.expire_all()
        with count_queries() as statements:
            loaded = load_batch(batch)
        counts.append(len(statements))
        item_reads.append(sum("FROM request_items" in s for s in statements))
    assert counts[0] == counts[1] == counts[2]
    assert item_reads == [1, 1, 1]
    request_tickets = [i for i in ids if loaded.kinds[i] != "request"]
    assert {loaded.items[i] for i in request_tickets} == {laptop.id}
    assert len(loaded.items) == len(request_tickets) == 8
    # No policy narrowed to an item: the catalog items are not read at all.
    narrowed.is_active = False
    db.session.commit()
    with count_queries() as statements:
        loaded = load_batch(ids)
    assert not [s for s in statements if "FROM request_items" in s]
    assert loaded.items == {}


def test_policy_form_offers_active_items_and_refuses_contradictions(
    signed_in, db, org, make_item, calendar_row
):
    client, _admin = signed_in("admin", "employee")
    laptop, retired = make_item(name="Laptop"), make_item(name="Old phone")
    catalog.update_item(retired, actor=org.ada, is_active=False)
    db.session.commit()
    calendar = calendar_row()
    url = f"/sla/queues/{org.queue.id}/policies/new"
    page = client.get(url).get_data(as_text=True)
    assert f'<option value="{laptop.id}">Laptop</option>' in page
    assert "Old phone" not in page
    refused = {
        ("incident", str(laptop.id)): "“Laptop” is a catalog item",
        ("request", str(laptop.id)): "“Laptop” is a catalog item",
        ("", "999999"): "Choose a catalog item from the list",
        ("", "laptop"): "Choose a catalog item from the list",
        ("", "-1"): "Choose a catalog item from the list",
        ("", str(retired.id)): "“Old phone” is no longer offered",
    }
    for (kind, item), message in refused.items():
        response = client.post(url, policy_form(calendar, ticket_kind=kind, catalog_item=item))
        assert response.status_code == 422, (kind, item)
        assert message in response.get_data(as_text=True), (kind, item)
    assert db.session.scalar(select(func.count()).select_from(SlaPolicy)) == 0
    form = policy_form(calendar, ticket_kind="catalog_task", catalog_item=str(laptop.id))
    assert client.post(url, form).status_code == 302
    listing = client.get(f"/sla/queues/{org.queue.id}/policies").get_data(as_text=True)
    assert "Laptop: catalog tasks (SCTASK) only" in listing
    saved = db.session.scalar(select(SlaPolicy))
    assert (saved.catalog_item_id, saved.ticket_kind) == (laptop.id, "catalog_task")
    # Retiring the item keeps the policy's narrowing: still offered (marked) and savable.
    catalog.update_item(laptop, actor=org.ada, is_active=False)
    db.session.commit()
    edit = f"/sla/policies/{saved.id}"
    page = client.get(edit).get_data(as_text=True)
    assert "Laptop (no longer offered)</option>" in page
    assert "Measures: Laptop: catalog tasks (SCTASK) only." in page
    again = client.post(edit, form | {"name": "Renamed", "version": str(saved.version)})
    assert again.status_code == 302
    db.session.expire_all()
    assert db.session.get(SlaPolicy, saved.id).catalog_item_id == laptop.id


def test_a_catalog_item_named_by_a_policy_cannot_be_deleted(db, org, make_item, policy):
    laptop = make_item()
    narrowed = policy(org.queue, name="Laptop", catalog_item_id=laptop.id)
    db.session.execute(delete(FormVersion).where(FormVersion.item_id == laptop.id))
    db.session.delete(laptop)
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    assert db.session.get(SlaPolicy, narrowed.id).catalog_item_id == laptop.id


TASK_ACTIONS = st.lists(
    st.tuples(
        st.integers(0, 2),  # which order (two laptops, one phone)
        st.sampled_from([5, 30, 90, 240, 900]),  # minutes since the previous action
        st.sampled_from(["state", "assign", "reply"]),
        st.sampled_from([TaskState.IN_PROGRESS, TaskState.ON_HOLD, TaskState.CLOSED]),
        st.sampled_from(list(HoldReason)),
        st.booleans(),  # which queue when assigning
    ),
    min_size=1,
    max_size=15,
)


@settings(DATABASE_EXAMPLES, max_examples=6)
@given(actions=TASK_ACTIONS)
def test_narrowed_records_are_the_replay_of_the_event_log(
    db, org, make_item, place, policy, queue, actions
):
    tag = uuid.uuid4().hex[:6]  # examples share the test's database: names of their own
    laptop, phone = make_item(name=f"Laptop {tag}"), make_item(name=f"Phone {tag}")
    other = queue(f"Hardware {tag}", members=(org.ivan,))
    policy(
        org.queue, name=f"Laptop tasks {tag}", catalog_item_id=laptop.id, ticket_kind="catalog_task"
    )
    policy(other, name=f"Laptop {tag}", catalog_item_id=laptop.id, targets={5: 120, 4: 240})
    policy(other, name=f"Phone response {tag}", kind="response", catalog_item_id=phone.id)
    now = at("2026-03-06 15:00")  # a Friday afternoon: clocks cross a weekend
    items = [place(item, now=now) for item in (laptop, laptop, phone)]
    tasks = [item.tasks[0] for item in items]
    for which, minutes, action, target, reason, moved in actions:
        now += timedelta(minutes=minutes)
        task = tasks[which]
        try:
            if action == "state":
                change_task_state(
                    task, target, actor=org.ivan, now=now,
                    hold_reason=reason.value if target == TaskState.ON_HOLD else None,
                    close_code="complete" if target == TaskState.CLOSED else None,
                )  # fmt: skip
            elif action == "assign":
                group = other if moved else org.queue
                assign_task(task, group=group, assignee=None, actor=org.ivan, now=now)
            else:
                comment(task, author=org.ivan, body="On it", public=True, now=now)
            db.session.commit()
        except (Invalid, Conflict):
            db.session.rollback()
    ids = [t.id for t in tasks] + [i.id for i in items]
    assert replay(ids) == []
    run_tick(now + timedelta(days=2))
    db.session.commit()
    assert replay(ids) == []
    phone_records = db.session.scalars(
        select(SlaPolicy.name).join(TaskSla).where(TaskSla.ticket_id.in_([ids[0], ids[1]]))
    ).all()
    assert not [name for name in phone_records if name.startswith("Phone")]
