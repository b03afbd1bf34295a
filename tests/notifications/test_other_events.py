"""Approvals, major-incident proposals and SLA events reach the right people (both databases)."""

from __future__ import annotations

import re

import pytest

from app.incidents import services as incidents
from app.notifications import mailing
from app.tickets import services as tickets


def test_an_approver_is_asked_with_the_item_the_answers_and_a_link(db, org, make_item, place, sent):
    item = place(
        make_item(name="Laptop", approval_policy=[{"kind": "manager"}]),
        answers={"model": "15 inch", "reason": "Old one broke"},
    )
    assert sent(org.kim) == []  # the requester ordered it: not told of their own order
    note = sent(org.ann, rows=True)[-1]
    assert note.kind == "approval_needed"
    mail = mailing.render(note)
    assert f"Requested by: {org.kim.display_name}" in mail.text
    assert "Item: Laptop" in mail.text
    assert "Model: 15 inch" in mail.text
    assert "Why: Old one broke" in mail.text
    approval = item.approvals[0]
    assert f"http://localhost:5000/requests/approvals/{approval.id}" in mail.text
    # One-click links open the confirmation page (its GET decides nothing).
    approve = re.search(r"Approve: (\S+)", mail.text).group(1)
    assert approve.startswith("http://localhost:5000/requests/approvals/decide/")
    assert re.search(r"Reject: http://localhost:5000/requests/approvals/decide/\S+", mail.text)
    assert f'href="{approve}"' in mail.html


def test_a_reminder_tells_the_approver_again(db, org, make_item, place, sent):
    item = place(make_item(approval_policy=[{"kind": "manager"}]))
    approval = item.approvals[0]
    tickets.record_event(
        item, "approval_reminded", None, approval_id=approval.id, approver_id=org.ann.id
    )
    db.session.commit()
    assert sent(org.ann) == ["approval_needed", "approval_reminder"]


def test_an_approved_item_tells_the_requester_its_state(db, org, make_item, place, sent):
    from app.requests.approvals import services as approvals

    item = place(make_item(approval_policy=[{"kind": "manager"}]))
    approvals.decide(item.approvals[0], actor=org.ann, approve=True, comment="")
    db.session.commit()
    assert "request_state" in sent(org.kim)


# A kind of business service an administrator added (a subclass) is a service to its owner too.
@pytest.mark.parametrize("kind", ["business_service", "chat_service"])
def test_a_major_proposal_tells_the_service_owner_and_admins(
    db, make_user, make_ci, service_kinds, sent, kind
):
    owner = make_user(roles=["service_owner"])
    other_owner = make_user(roles=["service_owner"])
    admin = make_user(roles=["admin"])
    agent = make_user(roles=["agent"])
    make_ci("Payroll", kind, owner_id=owner.id)
    make_ci("Intranet", "business_service", owner_id=other_owner.id)
    incident = incidents.open_incident(
        caller=make_user(),
        opened_by=agent,
        short_description="Payroll down",
        affected_service="Payroll",
    )
    db.session.commit()
    incidents.propose_major(incident, actor=agent, reason="Everyone is affected")
    db.session.commit()
    assert sent(owner) == ["major_proposed"]
    assert sent(admin) == ["major_proposed"]
    assert sent(other_owner) == []
    assert sent(agent) == []


def test_an_sla_breach_tells_the_assignee_and_an_escalation_the_manager(db, desk, sent, make_user):
    manager = make_user(roles=["service_owner"])
    desk.group.manager_id = manager.id
    db.session.commit()
    tickets.record_event(desk.incident, "sla_breached", None, notify=desk.agent.id)
    tickets.record_event(
        desk.incident, "sla_escalated", None, action="notify_manager", notify=manager.id
    )
    db.session.commit()
    assert sent(desk.agent)[-1] == "sla_breach"
    assert sent(manager) == ["escalation"]


def test_an_absent_approvers_delegate_is_asked_too_with_links_of_their_own(
    db, org, make_item, place, sent
):
    from datetime import timedelta

    from app.requests.approvals.delegation import add_delegation
    from app.timeutils import utc_now

    now = utc_now()
    add_delegation(
        delegator=org.ann,
        delegate=org.bob,
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(days=3),
        actor=org.ann,
        now=now,
    )
    db.session.commit()
    place(make_item(approval_policy=[{"kind": "manager"}]))
    assert sent(org.ann) == ["approval_needed"]
    [note] = sent(org.bob, rows=True)
    assert note.kind == "approval_needed"
    text = mailing.render(note).text
    token = re.search(r"Approve: \S+/decide/(\S+)", text).group(1)
    from app.requests.approvals import links

    _approval, person_id, decision = links.read_token(token, timedelta(days=1))
    assert person_id == org.bob.id
    assert decision == "approve"


def test_a_rejected_item_tells_the_requester_once_with_the_reason(db, org, make_item, place, sent):
    from app.requests.approvals import services as approvals

    item = place(make_item(name="Tablet", approval_policy=[{"kind": "manager"}]))
    approvals.decide(item.approvals[0], actor=org.ann, approve=False, comment="Not in budget")
    db.session.commit()
    [note] = sent(org.kim, rows=True)  # the item closed; its request closing adds nothing
    assert note.kind == "request_state"
    assert note.ticket_id == item.id
    assert "is now closed" in note.summary
    assert "Not in budget" in mailing.render(note).text
