"""Who sees what: employees their own requests, approvers what they approve (and delegates
while the delegation runs), IT staff tasks; the list filters and the per-object rules agree."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.policy import can
from app.requests import services
from app.requests.models import CatalogTask, RequestItem, ServiceRequest
from app.requests.permissions import visible_items, visible_requests, visible_tasks
from app.timeutils import utc_now
from tests.requests.conftest import pending


def ids(db, user, model, restrict):
    return set(db.session.scalars(restrict(user, select(model.id))))


def test_employees_see_only_their_own_requests(db, org, make_user, make_item, place):
    item = make_item(approval_policy=[{"kind": "manager"}])
    kims = place(item, orderer=org.kim)
    for_kim = place(item, orderer=org.gina, requested_for=org.kim)
    stranger = make_user(display_name="Sam Stranger")
    sams = place(item, orderer=stranger)

    assert ids(db, org.kim, ServiceRequest, visible_requests) == {
        kims.request_id,
        for_kim.request_id,
    }
    assert ids(db, org.kim, RequestItem, visible_items) == {kims.id, for_kim.id}
    assert ids(db, stranger, RequestItem, visible_items) == {sams.id}
    assert can(org.kim, "request_item.view", kims)
    assert can(org.kim, "request.view", kims.request)
    assert not can(org.kim, "request_item.view", sams)
    assert not can(org.kim, "request.view", sams.request)
    assert not can(stranger, "request.cancel", kims)


def test_approvers_see_what_they_approve_and_nothing_else(db, org, make_user, make_item, place):
    item = make_item(approval_policy=[{"kind": "manager"}])
    kims = place(item, orderer=org.kim)
    bobs_report = place(item, orderer=org.ann)  # Ann's manager Bob approves this one
    assert ids(db, org.ann, RequestItem, visible_items) == {kims.id, bobs_report.id}
    assert ids(db, org.bob, RequestItem, visible_items) == {bobs_report.id}
    assert ids(db, org.bob, ServiceRequest, visible_requests) == {bobs_report.request_id}
    assert can(org.bob, "request_item.view", bobs_report)
    assert not can(org.bob, "request_item.view", kims)
    assert can(org.ann, "approval.decide", pending(kims)[0])
    assert not can(org.bob, "approval.decide", pending(kims)[0])
    assert not can(org.bob, "request_item.reply", bobs_report)  # approving is not replying


def test_a_delegate_sees_the_delegators_approvals_only_during_the_period(
    db, org, make_user, make_item, place
):
    deputy = make_user(display_name="Dee Deputy")
    kims = place(make_item(approval_policy=[{"kind": "manager"}]))
    assert kims.id not in ids(db, deputy, RequestItem, visible_items)
    now = utc_now()
    delegation = services.add_delegation(
        delegator=org.ann,
        delegate=deputy,
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(days=1),
        actor=org.ann,
    )
    assert kims.id in ids(db, deputy, RequestItem, visible_items)
    assert can(deputy, "approval.decide", pending(kims)[0])
    services.end_delegation(delegation, actor=org.ann)
    assert kims.id not in ids(db, deputy, RequestItem, visible_items)
    assert not can(deputy, "approval.decide", pending(kims)[0])


def test_it_staff_see_tasks_and_work_those_of_their_groups(db, org, queue, make_item, place):
    task = place(make_item()).tasks[0]
    other_agent_group = queue("Network")
    assert ids(db, org.kim, CatalogTask, visible_tasks) == set()
    assert task.id in ids(db, org.ivan, CatalogTask, visible_tasks)
    assert can(org.ivan, "catalog_task.work", task)
    assert not can(org.kim, "catalog_task.view", task)
    assert not can(org.gina, "catalog_task.work", task)  # Gina manages but is not a member
    assert other_agent_group.id != task.assignment_group_id
    assert task.item_id in ids(db, org.ivan, RequestItem, visible_items)
