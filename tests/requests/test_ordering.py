"""The catalog and ordering: items and versioned forms, who may order, answers checked and
stored typed, carts, ordering for someone else, canceling; on SQLite and PostgreSQL."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from app.errors import Conflict, Forbidden, Invalid
from app.requests import services
from app.requests.models import Approval, RequestItem, ServiceRequest
from app.requests.ordering.services import OrderLine
from app.requests.states import ItemState
from app.tickets.models import Attachment, Ticket, TicketEvent
from tests.requests.conftest import LAPTOP_FORM, event_types, pending

MANAGER = [{"kind": "manager"}]


def counts(db) -> tuple[int, int, int]:
    return (
        db.session.scalar(select(func.count()).select_from(Ticket)),
        db.session.scalar(select(func.count()).select_from(Approval)),
        db.session.scalar(select(func.count()).select_from(TicketEvent)),
    )


def test_ordering_makes_a_request_and_an_item_with_numbers_and_events(db, org, make_item, place):
    item = place(make_item(approval_policy=MANAGER), answers={"model": "15 inch", "reason": " x "})
    request = item.request
    assert request.number.startswith("REQ")
    assert item.number.startswith("RITM")
    assert item.answers == {"model": "15 inch", "reason": "x"}
    assert item.caller_id == org.kim.id
    assert item.assignment_group_id == org.queue.id
    assert event_types(db, request) == ["created"]
    assert event_types(db, item)[:3] == ["created", "assigned", "approval_requested"]


def test_a_cart_holds_several_items_each_with_its_own_approvals(db, org, make_item):
    with_approval, without = make_item(approval_policy=MANAGER), make_item()
    request = services.order(
        orderer=org.kim,
        requested_for=org.kim,
        lines=[
            OrderLine(with_approval, {"model": "13 inch"}),
            OrderLine(without, {"model": "15 inch"}),
        ],
    )
    db.session.commit()
    first, second = request.items
    assert first.state == ItemState.PENDING_APPROVAL
    assert second.state == ItemState.IN_PROGRESS
    assert request.short_description == f"{with_approval.name} and 1 more"
    assert [v.status for v in services.request_view(request)] == [
        "Waiting for approval by Ann Smith",
        "In progress",
    ]


def test_ordering_for_someone_else_asks_their_manager(db, org, make_item, place):
    item = place(make_item(approval_policy=MANAGER), orderer=org.gina, requested_for=org.kim)
    assert item.caller_id == org.kim.id
    assert item.opened_by_id == org.gina.id
    assert [a.approver_id for a in pending(item)] == [org.ann.id]


@pytest.mark.parametrize(
    ("answers", "field"),
    [
        ({}, "model"),
        ({"model": "17 inch"}, "model"),
        ({"model": "13 inch", "reason": "x" * 20_001}, "reason"),
    ],
)
def test_bad_answers_are_refused_and_nothing_is_saved(db, org, make_item, answers, field):
    item = make_item(approval_policy=MANAGER)
    before = counts(db)
    with pytest.raises(Invalid) as refused:
        services.order(orderer=org.kim, requested_for=org.kim, lines=[OrderLine(item, answers)])
    db.session.rollback()
    assert f"lines.0.{field}" in refused.value.field_errors
    assert counts(db) == before


def test_one_bad_line_refuses_the_whole_cart(db, org, make_item):
    good, bad = make_item(), make_item()
    before = counts(db)
    with pytest.raises(Invalid) as refused:
        services.order(
            orderer=org.kim,
            requested_for=org.kim,
            lines=[OrderLine(good, {"model": "13 inch"}), OrderLine(bad, {"model": "wrong"})],
        )
    db.session.rollback()
    assert list(refused.value.field_errors) == ["lines.1.model"]
    assert counts(db) == before


def test_every_problem_of_an_order_is_reported_at_once(db, org, make_item):
    item = make_item()
    org.ann.is_active = False
    db.session.commit()
    before = counts(db)
    with pytest.raises(Invalid) as refused:
        services.order(
            orderer=org.kim,
            requested_for=org.ann,
            lines=[OrderLine(item, {"model": "wrong"})],
            note_text="x" * 5000,
        )
    db.session.rollback()
    assert set(refused.value.field_errors) == {"requested_for", "note", "lines.0.model"}
    assert counts(db) == before


def test_typed_variables_are_stored_typed(db, org, make_item, make_user):
    item = make_item(
        variables=[
            {"name": "count", "label": "How many", "type": "number", "minimum": 1, "maximum": 5},
            {"name": "start", "label": "From", "type": "date", "required": True},
            {"name": "apps", "label": "Apps", "type": "multi_choice", "choices": ["A", "B", "C"]},
            {"name": "urgent", "label": "Urgent", "type": "checkbox"},
            {"name": "who", "label": "Colleague", "type": "person"},
            {"name": "doc", "label": "Form", "type": "attachment"},
        ]
    )
    upload = FileStorage(io.BytesIO(b"%PDF-1.4 signed"), filename="signed.pdf")
    answers = {
        "count": "3",
        "start": "2026-05-04",
        "apps": ["C", "A"],
        "urgent": "on",
        "who": str(org.ann.id),
        "doc": upload,
    }
    request = services.order(
        orderer=org.kim, requested_for=org.kim, lines=[OrderLine(item, answers)]
    )
    db.session.commit()
    stored = request.items[0].answers
    attachment = db.session.scalar(
        select(Attachment).where(Attachment.ticket_id == request.items[0].id)
    )
    assert stored == {
        "count": 3,
        "start": "2026-05-04",
        "apps": ["A", "C"],
        "urgent": True,
        "who": {"id": org.ann.id, "label": "Ann Smith"},
        "doc": {"id": attachment.id, "label": "signed.pdf"},
    }
    assert ("Colleague", "Ann Smith") in services.answers_of(request.items[0])


def test_a_person_variable_refuses_a_deactivated_person(db, org, make_item):
    item = make_item(variables=[{"name": "who", "label": "Who", "type": "person"}])
    org.bob.is_active = False
    db.session.commit()
    with pytest.raises(Invalid) as refused:
        services.order(
            orderer=org.kim,
            requested_for=org.kim,
            lines=[OrderLine(item, {"who": str(org.bob.id)})],
        )
    assert "active person" in refused.value.field_errors["lines.0.who"][0]


def test_editing_a_form_never_changes_requests_already_made(db, org, make_item, place):
    item = make_item(approval_policy=MANAGER)
    old = place(item, answers={"model": "15 inch", "reason": "Broken hinge"})
    version = services.save_form(
        item,
        [{"name": "size", "label": "Screen", "type": "number", "required": True}],
        actor=org.ada,
        expected_version=1,
    )
    services.update_item(item, actor=org.ada, approval_policy=[])
    db.session.commit()
    assert version.number == 2
    assert item.form.id == version.id
    assert old.form_version.number == 1
    assert services.answers_of(old) == [("Model", "15 inch"), ("Why", "Broken hinge")]
    assert old.approval_plan == MANAGER  # the policy it was ordered with
    new = services.order(
        orderer=org.kim, requested_for=org.kim, lines=[OrderLine(item, {"size": "14"})]
    )
    assert new.items[0].answers == {"size": 14}
    assert new.items[0].state == ItemState.IN_PROGRESS


def test_an_order_against_the_form_shown_is_checked_against_that_version(db, org, make_item):
    item = make_item()
    shown = item.form
    services.save_form(item, [{"name": "size", "label": "Size", "type": "number"}], actor=org.ada)
    db.session.commit()
    request = services.order(
        orderer=org.kim,
        requested_for=org.kim,
        lines=[OrderLine(item, {"model": "13 inch"}, form_version=shown)],
    )
    assert request.items[0].form_version_id == shown.id


def test_saving_an_unchanged_form_adds_no_version_and_stale_edits_conflict(db, org, make_item):
    item = make_item()
    assert services.save_form(item, LAPTOP_FORM, actor=org.ada).number == 1
    services.save_form(item, LAPTOP_FORM[:1], actor=org.ada, expected_version=1)
    with pytest.raises(Conflict):
        services.save_form(item, LAPTOP_FORM, actor=org.ada, expected_version=1)


def test_bad_item_definitions_report_every_problem(db, org, make_item):
    with pytest.raises(Invalid) as refused:
        services.create_item(
            actor=org.ada,
            name=" ",
            fulfilment_group_id=999_999,
            delivery_days=400,
            approval_policy=[{"kind": "group", "group_id": 999_999}],
            task_template=[{"stage": 0, "name": ""}],
            variables=[{"name": "Bad Name", "label": "x", "type": "choice"}],
        )
    fields = set(refused.value.field_errors)
    assert {"name", "fulfilment_group_id", "delivery_days"} <= fields
    assert "approval_policy.levels.0.group_id" in fields
    assert {"task_template.tasks.0.stage", "task_template.tasks.0.name"} <= fields


def test_who_may_order_is_enforced(db, org, make_item, queue):
    remote = queue("Remote workers", members=(org.ann,))
    item = make_item(audience="groups", group_ids=[remote.id])
    assert services.may_order(org.ann, item)
    assert not services.may_order(org.kim, item)
    assert item in services.orderable_items(org.ann)
    assert item not in services.orderable_items(org.kim)
    with pytest.raises(Forbidden):
        services.order(
            orderer=org.kim, requested_for=org.kim, lines=[OrderLine(item, {"model": "13 inch"})]
        )
    services.update_item(item, actor=org.ada, is_active=False)
    assert not services.may_order(org.ann, item)


def test_catalog_search_matches_every_word(db, org, make_item):
    vpn = make_item("VPN access", short_description="Remote access to the network")
    make_item("Laptop replacement")
    assert services.orderable_items(org.kim, search="remote VPN") == [vpn]
    assert services.orderable_items(org.kim, search="remote printer") == []
    assert services.orderable_items(org.kim, search="100%_") == []


def test_the_requester_cancels_before_fulfilment(db, org, make_item, place):
    item = place(make_item(approval_policy=MANAGER))
    services.cancel_request(item.request, actor=org.kim, reason="Found a spare one")
    db.session.commit()
    assert item.state == ItemState.CANCELED
    assert item.request.state == "canceled"
    assert [a.state.value for a in item.approvals] == ["canceled"]
    assert services.item_status(item) == "Canceled"
    assert services.waiting_for(org.ann) == []


def test_no_cancel_once_fulfilment_started_or_by_a_stranger(db, org, make_item, place):
    started = place(make_item())
    with pytest.raises(Conflict, match="being delivered"):
        services.cancel_item(started, actor=org.kim)
    with pytest.raises(Conflict, match="Nothing was canceled"):
        services.cancel_request(started.request, actor=org.kim)
    waiting = place(make_item(approval_policy=MANAGER))
    with pytest.raises(Forbidden):
        services.cancel_item(waiting, actor=org.ivan)
    assert waiting.state == ItemState.PENDING_APPROVAL


def test_my_requests_lists_what_i_ordered_and_what_is_for_me(db, org, make_item, place):
    item = make_item()
    mine = place(item, orderer=org.kim).request
    for_me = place(item, orderer=org.gina, requested_for=org.kim).request
    others = place(item, orderer=org.ann).request
    listed = {r.id for r in services.my_requests(org.kim)}
    assert listed == {mine.id, for_me.id}
    assert others.id in {r.id for r in services.my_requests(org.ann)}
    assert db.session.get(ServiceRequest, mine.id).items[0].__class__ is RequestItem
