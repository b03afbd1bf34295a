"""Approvals by mail: the approver answers the approval mail with the word first (a comment
after it); ``approvals.services.decide`` decides, with every rule it has, and a refused decision
is a work note and an ignored outcome, never a crash."""

from __future__ import annotations

from sqlalchemy import select

from app.requests.models import Approval
from app.requests.states import ApprovalState, ItemState
from app.tickets.models import EntryKind, JournalEntry
from app.timeutils import utc_now
from tests.incidents.conftest import queue  # noqa: F401
from tests.mail.intake_mails import mail
from tests.requests.conftest import make_item, org, pending, place  # noqa: F401

MANAGER = [{"kind": "manager"}]


def with_mail(db, *people) -> None:
    for person in people:
        person.email = f"{person.username}@example.com"
    db.session.commit()


def answer(person, item, body: str) -> bytes:
    return mail(
        f"{person.username}@example.com", subject=f"Re: [{item.number}] Approval", body=body
    )


def test_the_approver_approves_by_answering_the_approval_mail(db, org, make_item, place):  # noqa: F811
    from app.mail.incoming import intake
    from app.mail.outgoing import services as outgoing

    item = place(make_item(approval_policy=MANAGER))  # Kim orders; Ann, her manager, approves
    with_mail(db, org.ann)
    asked = outgoing.queue_mail(
        to_address="ann@example.com", subject="Approve?", text="..", ticket=item
    )
    db.session.commit()
    raw = mail(
        f"{org.ann.username}@example.com",
        subject="Re: Approve?",
        body="Approved, enjoy the laptop",
        in_reply_to=asked.message_id,
    )
    outcome = intake.take(raw, None)
    assert (outcome.number, outcome.action) == (item.number, "approved")
    db.session.refresh(item)
    assert item.state == ItemState.IN_PROGRESS
    decided = db.session.scalar(select(Approval).where(Approval.item_id == item.id))
    assert decided.state == ApprovalState.APPROVED
    assert decided.decided_by_id == org.ann.id
    assert decided.comment == "enjoy the laptop"


def test_the_approver_rejects_with_a_comment(db, org, make_item, place):  # noqa: F811
    from app.mail.incoming import intake

    item = place(make_item(approval_policy=MANAGER))
    with_mail(db, org.ann)
    outcome = intake.take(answer(org.ann, item, "Reject: we have spare laptops in stock"), None)
    assert outcome.action == "rejected"
    db.session.refresh(item)
    assert item.state == ItemState.CLOSED
    assert pending(item) == []
    rejected = db.session.scalar(select(Approval).where(Approval.item_id == item.id))
    assert rejected.comment == "we have spare laptops in stock"


def test_a_rejection_without_a_reason_is_refused_and_noted(db, org, make_item, place):  # noqa: F811
    from app.mail.incoming import intake

    item = place(make_item(approval_policy=MANAGER))
    with_mail(db, org.ann)
    outcome = intake.take(answer(org.ann, item, "No"), None)
    assert outcome.ignored
    assert outcome.ignored.startswith("refused: ")
    db.session.refresh(item)
    assert item.state == ItemState.PENDING_APPROVAL


def test_the_orderer_cannot_approve_their_own_item_by_mail(db, org, make_item, place):  # noqa: F811
    from app.mail.incoming import intake

    item = place(make_item(approval_policy=MANAGER), orderer=org.ann, requested_for=org.kim)
    legacy = Approval(item=item, level=0, approver_id=org.ann.id, requested_at=utc_now())
    db.session.add(legacy)
    with_mail(db, org.ann)
    outcome = intake.take(answer(org.ann, item, "Approve"), None)
    assert outcome.line().startswith("ignored: refused: You ordered")
    db.session.refresh(legacy)
    assert legacy.state == ApprovalState.REQUESTED
    note = db.session.scalars(
        select(JournalEntry).where(JournalEntry.ticket_id == item.id).order_by(JournalEntry.id)
    ).all()[-1]
    assert note.kind == EntryKind.WORK_NOTE
    assert "answering the approval was refused" in note.body


def test_the_requester_answering_a_request_item_mail_is_a_public_reply(db, org, make_item, place):  # noqa: F811
    from app.mail.incoming import intake

    item = place(make_item())  # no approval: in fulfilment at once
    with_mail(db, org.kim)
    outcome = intake.take(answer(org.kim, item, "The 15 inch model, please"), None)
    assert (outcome.number, outcome.action) == (item.number, "replied")
    entry = db.session.scalars(
        select(JournalEntry).where(JournalEntry.ticket_id == item.id).order_by(JournalEntry.id)
    ).all()[-1]
    assert entry.kind == EntryKind.REPLY
    assert (entry.author_id, entry.body) == (org.kim.id, "The 15 inch model, please")
