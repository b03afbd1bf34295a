"""Approval policies, group rules, sequential levels, rejection, delegation, missing managers
and refused decisions, through the services, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.errors import Conflict, Forbidden, Invalid
from app.requests import services
from app.requests.approvals.rules import Outcome
from app.requests.models import Approval
from app.requests.states import ApprovalState, CloseCode, ItemState
from app.timeutils import utc_now
from tests.requests.conftest import event_types, pending

MANAGER = [{"kind": "manager"}]


def approvers(item) -> list[str]:
    return sorted(a.approver.display_name for a in pending(item))


def test_an_item_without_policy_goes_straight_to_fulfilment(db, make_item, place):
    item = place(make_item())
    assert item.state == ItemState.IN_PROGRESS
    assert item.approval_state == ApprovalState.NOT_REQUIRED
    assert [t.short_description for t in item.tasks] == [f"Fulfil {item.catalog_item.name}"]


@pytest.mark.parametrize(
    ("kind", "expected"),
    [("manager", "Ann Smith"), ("managers_manager", "Bob Boss"), ("service_owner", "Gina Manager")],
)
def test_each_person_policy_asks_the_right_person(db, org, make_item, place, kind, expected):
    item = place(make_item(approval_policy=[{"kind": kind}], service_owner_id=org.gina.id))
    assert item.state == ItemState.PENDING_APPROVAL
    assert approvers(item) == [expected]
    assert services.item_status(item) == f"Waiting for approval by {expected}"
    assert "approval_requested" in event_types(db, item)


def test_manager_approval_starts_fulfilment(db, org, make_item, place):
    item = place(make_item(approval_policy=MANAGER))
    outcome = services.decide(pending(item)[0], actor=org.ann, approve=True, comment="Fine")
    db.session.commit()
    assert outcome == Outcome.APPROVED
    assert item.state == ItemState.IN_PROGRESS
    assert item.approval_state == ApprovalState.APPROVED
    assert len(item.tasks) == 1
    assert services.item_status(item) == "In progress"


def test_rejection_ends_the_item_with_the_reason_for_the_requester(db, org, make_item, place):
    item = place(make_item(approval_policy=MANAGER))
    services.decide(pending(item)[0], actor=org.ann, approve=False, comment="Not in budget")
    db.session.commit()
    assert item.state == ItemState.CLOSED
    assert item.close_code == CloseCode.REJECTED
    assert services.item_status(item) == "Rejected: Not in budget"
    assert item.tasks == []
    assert item.request.state == "closed"
    assert item.request.close_code == CloseCode.INCOMPLETE


def test_a_rejection_needs_a_reason(db, org, make_item, place):
    item = place(make_item(approval_policy=MANAGER))
    with pytest.raises(Invalid) as refused:
        services.decide(pending(item)[0], actor=org.ann, approve=False, comment="  ")
    assert "comment" in refused.value.field_errors
    db.session.rollback()
    assert pending(item)[0].state == ApprovalState.REQUESTED


def test_sequential_levels_ask_one_after_the_other(db, org, make_item, place):
    item = place(make_item(approval_policy=[{"kind": "manager"}, {"kind": "managers_manager"}]))
    assert approvers(item) == ["Ann Smith"]
    services.decide(pending(item)[0], actor=org.ann, approve=True)
    db.session.commit()
    assert item.state == ItemState.PENDING_APPROVAL
    assert item.approval_level == 1
    assert approvers(item) == ["Bob Boss"]
    services.decide(pending(item)[0], actor=org.bob, approve=True)
    db.session.commit()
    assert item.state == ItemState.IN_PROGRESS


def test_a_later_level_is_not_asked_when_an_earlier_one_rejects(db, org, make_item, place):
    item = place(make_item(approval_policy=[{"kind": "manager"}, {"kind": "managers_manager"}]))
    services.decide(pending(item)[0], actor=org.ann, approve=False, comment="No")
    db.session.commit()
    assert {a.approver_id for a in item.approvals} == {org.ann.id}


@pytest.fixture
def board(db, queue, make_user):
    """A group of four approvers."""
    people = [make_user(display_name=f"Board {n}") for n in "ABCD"]
    return queue("Board", members=people), people


def _group_item(make_item, board, rule):
    group, _people = board
    return make_item(approval_policy=[{"kind": "group", "group_id": group.id, "rule": rule}])


def _decide(db, item, person, approve):
    approval = next(a for a in pending(item) if a.approver_id == person.id)
    outcome = services.decide(approval, actor=person, approve=approve, comment="why")
    db.session.commit()
    return outcome


def test_group_anyone_is_approved_by_the_first_approval(db, make_item, place, board):
    item = place(_group_item(make_item, board, "anyone"))
    people = board[1]
    assert _decide(db, item, people[0], False) == Outcome.PENDING
    assert _decide(db, item, people[1], True) == Outcome.APPROVED
    assert item.state == ItemState.IN_PROGRESS
    states = sorted(a.state.value for a in item.approvals)
    assert states == ["approved", "canceled", "canceled", "rejected"]


def test_group_everyone_is_rejected_by_one_rejection(db, make_item, place, board):
    item = place(_group_item(make_item, board, "everyone"))
    people = board[1]
    assert services.item_status(item).startswith("Waiting for approval by Board A, Board B and")
    assert _decide(db, item, people[0], True) == Outcome.PENDING
    assert _decide(db, item, people[1], False) == Outcome.REJECTED
    assert item.close_code == CloseCode.REJECTED


def test_group_everyone_needs_every_approval(db, make_item, place, board):
    item = place(_group_item(make_item, board, "everyone"))
    outcomes = [_decide(db, item, p, True) for p in board[1]]
    assert outcomes == [Outcome.PENDING] * 3 + [Outcome.APPROVED]


def test_group_majority_needs_more_than_half(db, make_item, place, board):
    item = place(_group_item(make_item, board, "majority"))
    a, b, c, _d = board[1]
    assert _decide(db, item, a, True) == Outcome.PENDING
    assert _decide(db, item, b, True) == Outcome.PENDING  # 2 of 4 is not a majority
    assert _decide(db, item, c, True) == Outcome.APPROVED


def test_group_majority_rejects_once_a_majority_is_impossible(db, make_item, place, board):
    item = place(_group_item(make_item, board, "majority"))
    a, b, _c, _d = board[1]
    assert _decide(db, item, a, False) == Outcome.PENDING
    assert _decide(db, item, b, False) == Outcome.REJECTED
    assert "Board A: why" in item.close_notes


def test_group_first_response_decides_either_way(db, make_item, place, board):
    item = place(_group_item(make_item, board, "first_response"))
    assert _decide(db, item, board[1][2], False) == Outcome.REJECTED
    assert item.state == ItemState.CLOSED


def test_missing_manager_routes_to_the_fulfilment_groups_manager(db, org, make_item, place):
    from app.auth import services as auth

    auth.set_manager(org.kim, None, actor=None)
    item = place(make_item(approval_policy=MANAGER))
    assert approvers(item) == ["Gina Manager"]
    assert "Kim Lee has no manager in the directory" in pending(item)[0].note
    assert "Gina Manager" in pending(item)[0].note


def test_missing_managers_fall_back_to_group_members_then_admins(db, org, make_item, place):
    from app.auth import groups
    from app.auth import services as auth

    auth.set_manager(org.kim, None, actor=None)
    groups.update_group(org.queue, actor=org.ada, manager_id=None)
    item = place(make_item(approval_policy=MANAGER))
    assert approvers(item) == ["Iris Agent", "Ivan Agent"]
    assert "any one of them decides" in pending(item)[0].note
    _decide(db, item, org.ivan, True)
    db.session.commit()
    assert item.state == ItemState.IN_PROGRESS

    groups.remove_member(org.queue, org.ivan, actor=org.ada)
    groups.remove_member(org.queue, org.iris, actor=org.ada)
    item = place(make_item(approval_policy=MANAGER))
    assert org.ada.id in {a.approver_id for a in pending(item)}


def test_a_deactivated_manager_counts_as_missing(db, org, make_item, place):
    org.ann.is_active = False
    db.session.commit()
    item = place(make_item(approval_policy=MANAGER))
    assert approvers(item) == ["Gina Manager"]


def test_nobody_approves_their_own_request(db, org, make_item, place):
    item = place(
        make_item(approval_policy=[{"kind": "service_owner"}], service_owner_id=org.kim.id)
    )
    assert approvers(item) == ["Gina Manager"]
    assert "cannot approve their own request" in pending(item)[0].note


def delegate_now(delegator, delegate) -> None:
    """``delegate`` decides ``delegator``'s approvals from yesterday for a week."""
    now = utc_now()
    services.add_delegation(
        delegator=delegator,
        delegate=delegate,
        starts_at=now - timedelta(1),
        ends_at=now + timedelta(days=7),
        actor=delegator,
    )


def test_a_delegate_decides_on_behalf_of_the_approver(db, org, make_item, place):
    delegate_now(org.ann, org.iris)
    item = place(make_item(approval_policy=MANAGER))
    assert [a.item_id for a in services.waiting_for(org.iris)] == [item.id]
    approval = pending(item)[0]
    services.decide(approval, actor=org.iris, approve=True, comment="Ann is away")
    db.session.commit()
    assert approval.on_behalf
    assert approval.decided_by_id == org.iris.id
    assert approval.approver_id == org.ann.id
    bodies = [e.body for e in item.journal]
    assert any("Iris Agent on behalf of Ann Smith" in b for b in bodies)


def test_a_delegation_outside_its_period_gives_no_right(db, org, make_item, place):
    now = utc_now()
    services.add_delegation(
        delegator=org.ann,
        delegate=org.iris,
        starts_at=now + timedelta(1),
        ends_at=now + timedelta(days=7),
        actor=org.ann,
    )
    item = place(make_item(approval_policy=MANAGER))
    assert services.waiting_for(org.iris) == []
    with pytest.raises(Forbidden):
        services.decide(pending(item)[0], actor=org.iris, approve=True)


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"delegate": None}, "delegate"),
        ({"delegate": "self"}, "delegate"),
        ({"ends_at": -1}, "ends_at"),
        ({"starts_at": -3, "ends_at": -2}, "ends_at"),
    ],
)
def test_bad_delegations_are_refused(db, org, values, field):
    now = utc_now()
    delegate = org.ann if values.get("delegate") == "self" else values.get("delegate", org.iris)
    with pytest.raises(Invalid) as refused:
        services.add_delegation(
            delegator=org.ann,
            delegate=delegate,
            starts_at=now + timedelta(days=values.get("starts_at", 0)),
            ends_at=now + timedelta(days=values.get("ends_at", 3)),
            actor=org.ann,
        )
    assert field in refused.value.field_errors


def test_overlapping_delegations_and_strangers_are_refused(db, org):
    now = utc_now()
    services.add_delegation(
        delegator=org.ann,
        delegate=org.iris,
        starts_at=now,
        ends_at=now + timedelta(days=3),
        actor=org.ann,
    )
    with pytest.raises(Invalid):
        services.add_delegation(
            delegator=org.ann,
            delegate=org.ivan,
            starts_at=now + timedelta(days=2),
            ends_at=now + timedelta(days=5),
            actor=org.ann,
        )
    with pytest.raises(Forbidden):
        services.add_delegation(
            delegator=org.ann,
            delegate=org.ivan,
            starts_at=now + timedelta(days=4),
            ends_at=now + timedelta(days=5),
            actor=org.kim,
        )


def test_approving_twice_is_a_conflict(db, org, make_item, place):
    item = place(make_item(approval_policy=MANAGER))
    approval = pending(item)[0]
    services.decide(approval, actor=org.ann, approve=True)
    db.session.commit()
    with pytest.raises(Conflict, match="already decided"):
        services.decide(approval, actor=org.ann, approve=True)


def test_deciding_after_cancellation_is_a_conflict(db, org, make_item, place):
    item = place(make_item(approval_policy=MANAGER))
    approval = pending(item)[0]
    services.cancel_item(item, actor=org.kim, reason="Not needed")
    db.session.commit()
    with pytest.raises(Conflict, match="canceled"):
        services.decide(approval, actor=org.ann, approve=True)


def test_a_settled_level_refuses_the_remaining_approvers(db, make_item, place, board):
    item = place(_group_item(make_item, board, "anyone"))
    _decide(db, item, board[1][0], True)
    late = next(a for a in item.approvals if a.approver_id == board[1][1].id)
    with pytest.raises(Conflict, match="no longer waits"):
        services.decide(late, actor=board[1][1], approve=True)


def test_a_stranger_cannot_decide_and_nothing_is_saved(db, org, make_item, place):
    item = place(make_item(approval_policy=MANAGER))
    approval = pending(item)[0]
    with pytest.raises(Forbidden):
        services.decide(approval, actor=org.bob, approve=True)
    db.session.rollback()
    assert approval.state == ApprovalState.REQUESTED
    assert "approval_decided" not in event_types(db, item)


def test_a_stale_decision_form_is_a_conflict(db, org, make_item, place):
    item = place(make_item(approval_policy=MANAGER))
    approval = pending(item)[0]
    with pytest.raises(Conflict):
        services.decide(
            approval, actor=org.ann, approve=True, expected_version=approval.version + 1
        )


def test_reminders_come_once_per_business_period(db, org, make_item, place):
    from app.sla.calendar import BusinessCalendar

    always = BusinessCalendar.always_open()
    start = utc_now() - timedelta(hours=30)
    item = place(make_item(approval_policy=MANAGER), now=start)
    delay = timedelta(hours=8)
    assert (
        services.remind_pending(now=start + timedelta(hours=7), delay=delay, calendar=always) == []
    )
    first = services.remind_pending(now=start + timedelta(hours=9), delay=delay, calendar=always)
    again = services.remind_pending(now=start + timedelta(hours=10), delay=delay, calendar=always)
    later = services.remind_pending(now=start + timedelta(hours=26), delay=delay, calendar=always)
    db.session.commit()
    assert [a.item_id for a in first] == [item.id]
    assert again == []
    assert [a.reminders_sent for a in later] == [3]
    assert event_types(db, item).count("approval_reminded") == 2


def test_reminders_count_business_time_only(db, org, make_item, place):
    from datetime import UTC, datetime

    from app.sla.calendar import BusinessCalendar

    office = BusinessCalendar.weekly("UTC", {d: [("08:00", "18:00")] for d in range(5)})
    friday = datetime(2026, 3, 6, 16, 0, tzinfo=UTC)
    place(make_item(approval_policy=MANAGER), now=friday)
    monday_morning = datetime(2026, 3, 9, 9, 0, tzinfo=UTC)  # 3 business hours later
    delay = timedelta(hours=8)
    assert services.remind_pending(now=monday_morning, delay=delay, calendar=office) == []
    assert (
        len(
            services.remind_pending(
                now=monday_morning + timedelta(hours=6), delay=delay, calendar=office
            )
        )
        == 1
    )


def test_remind_cli_reports_what_it_did(app, db, org, make_item, place):
    place(make_item(approval_policy=MANAGER), now=utc_now() - timedelta(days=10))
    result = app.test_cli_runner().invoke(args=["requests", "remind", "--hours", "1"])
    assert result.exit_code == 0, result.output
    assert "Reminded 1 pending approval(s)." in result.output
    assert db.session.scalar(select(func.sum(Approval.reminders_sent))) >= 1


# -- separation of duties -------------------------------------------------------------------


def test_a_manager_ordering_for_their_report_does_not_approve_it(db, org, make_item, place):
    item = place(make_item(approval_policy=MANAGER), orderer=org.ann, requested_for=org.kim)
    assert approvers(item) == ["Gina Manager"]
    assert (
        "Ann Smith ordered this item for Kim Lee and cannot approve it, so the approval goes "
        "to the manager of" in pending(item)[0].note
    )
    assert services.waiting_for(org.ann) == []
    with pytest.raises(Forbidden, match=f"You ordered {item.number} for Kim Lee"):
        services.decide(pending(item)[0], actor=org.ann, approve=True)


def test_an_approval_routed_to_the_orderer_is_refused_to_them(db, org, make_item, place):
    # e.g. asked before separation of duties: the row names the orderer as approver.
    item = place(make_item(approval_policy=MANAGER), orderer=org.ann, requested_for=org.kim)
    legacy = Approval(item=item, level=0, approver_id=org.ann.id, requested_at=utc_now())
    db.session.add(legacy)
    db.session.commit()
    assert not services.may_decide(org.ann, legacy)
    assert services.waiting_for(org.ann) == []
    with pytest.raises(Forbidden, match="someone else must approve it"):
        services.decide(legacy, actor=org.ann, approve=True)
    db.session.rollback()
    assert legacy.state == ApprovalState.REQUESTED
    assert "approval_decided" not in event_types(db, item)


def test_a_requester_who_is_their_managers_delegate_cannot_approve(db, org, make_item, place):
    delegate_now(org.ann, org.kim)
    mine = place(make_item(approval_policy=MANAGER))  # Kim orders for herself
    owned = make_item(approval_policy=[{"kind": "service_owner"}], service_owner_id=org.ann.id)
    other = place(owned, orderer=org.ivan)  # Kim decides this one for Ann
    assert approvers(mine) == ["Ann Smith"]
    assert [a.item_id for a in services.waiting_for(org.kim)] == [other.id]
    with pytest.raises(Forbidden, match=f"{mine.number} is for you"):
        services.decide(pending(mine)[0], actor=org.kim, approve=True)
    db.session.rollback()
    services.decide(pending(mine)[0], actor=org.ann, approve=True)  # Ann still can
    db.session.commit()
    assert mine.state == ItemState.IN_PROGRESS


def test_nobody_in_the_approving_group_approves_what_they_ordered(db, org, make_item, place, board):
    group, people = board
    from app.auth import groups

    groups.add_members(group, [org.kim], actor=org.ada)
    db.session.commit()
    item = place(
        _group_item(make_item, board, "everyone"), orderer=people[0], requested_for=org.kim
    )
    assert approvers(item) == ["Board B", "Board C", "Board D"]
