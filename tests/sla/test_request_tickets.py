"""SLAs on service request tickets: a catalog task (SCTASK) is measured and escalated like an
incident, and a policy narrowed to a kind of ticket measures that kind only."""

from __future__ import annotations

from sqlalchemy import select

from app.sla.jobs import run_tick
from app.sla.models import TaskSla
from app.tickets.models import Ticket, TicketEvent
from tests.sla.conftest import at


def _task(db, item):
    db.session.expire_all()
    (task,) = item.tasks
    return task


def _records(db, ticket_id):
    db.session.expire_all()
    query = select(TaskSla).where(TaskSla.ticket_id == ticket_id).order_by(TaskSla.id)
    return list(db.session.scalars(query))


def test_a_catalog_task_breaching_its_ola_is_reassigned(db, org, make_item, place, queue, policy):
    second = queue("Second line")
    hour = {p: 60 for p in range(1, 6)}
    policy(
        org.queue, name="Task OLA", ticket_kind="catalog_task", targets=hour,
        escalation="reassign", escalation_group_id=second.id,
    )  # fmt: skip
    policy(org.queue, name="Incidents only", ticket_kind="incident")
    policy(second, name="Second line OLA", targets={p: 120 for p in range(1, 6)})
    item = place(make_item(), now=at("2026-03-02 09:00"))
    task = _task(db, item)
    assert (task.kind, task.assignment_group_id) == ("catalog_task", org.queue.id)
    (record,) = _records(db, task.id)  # the task's OLA; not the incidents-only policy
    assert (record.policy.name, record.stage, record.due_at) == (
        "Task OLA",
        "in_progress",
        at("2026-03-02 10:00"),
    )
    report = run_tick(at("2026-03-02 12:00"))
    db.session.commit()
    assert report.escalations == [f"{task.number}: reassign"]
    moved = db.session.get(Ticket, task.id)
    assert (moved.assignment_group_id, moved.assignee_id) == (second.id, None)
    assert moved.reassignment_count == 1
    stages = [(r.policy.name, r.stage, r.started_at) for r in _records(db, task.id)]
    assert stages == [
        ("Task OLA", "breached", at("2026-03-02 09:00")),
        ("Second line OLA", "in_progress", at("2026-03-02 12:00")),
    ]
    again = run_tick(at("2026-03-02 12:00"))
    assert (again.warnings, again.breaches, again.escalations) == (0, 0, [])


def test_a_catalog_task_breaching_is_raised_one_priority(db, org, make_item, place, policy):
    policy(org.queue, targets={p: 60 for p in range(1, 6)}, escalation="raise_priority")
    item = place(make_item(), now=at("2026-03-02 09:00"))
    task = _task(db, item)
    before = task.priority
    assert before > 1
    run_tick(at("2026-03-02 12:00"))
    db.session.commit()
    run_tick(at("2026-03-02 12:00"))
    db.session.commit()
    db.session.expire_all()
    raised = db.session.get(Ticket, task.id)
    assert raised.priority == before - 1  # once, not twice
    assert raised.priority_override_reason == f"SLA “{org.queue.name} resolution” breached"
    changes = db.session.scalars(
        select(TicketEvent.data).where(
            TicketEvent.ticket_id == task.id, TicketEvent.type == "priority_changed"
        )
    ).all()
    assert [(d["old"], d["new"]) for d in changes] == [(before, before - 1)]
