"""Mail becomes tickets: new incidents, replies threaded by header and by subject token, work
notes for strangers, reopening, idempotence, loops, rate limits and the quarantine of what
fails, each with real message bytes through ``intake.take`` (receive, then commit)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from app.auth.models import User
from app.i18n.stored import stored
from app.incidents.models import Incident
from app.incidents.workflow import State, Transition
from app.mail.incoming import intake
from app.mail.incoming.models import InboundMessage, Mailbox, MessageState, UnknownSenders
from app.tickets.holds import HoldReason
from app.tickets.models import Attachment, Channel, EntryKind, JournalEntry
from tests.incidents.conftest import queue  # noqa: F401, E402  (shared builder)
from tests.mail.intake_mails import mail, message_id_of


@pytest.fixture
def desk(db, make_user, queue) -> Any:  # noqa: F811
    """A mailbox routing new incidents to a queue with one agent; Kim is an employee."""

    class Desk:
        agent = make_user(roles=["agent", "employee"], email="ivan@example.com")
        kim = make_user(display_name="Kim Lee", email="Kim@Example.com")
        group = queue("Mail queue", members=(agent,))
        mailbox = Mailbox(
            name="Service desk",
            address="servicedesk@example.com",
            assignment_group_id=group.id,
            impact=2,
            urgency=2,
            category="Hardware",
        )

    db.session.add(Desk.mailbox)
    db.session.commit()
    return Desk


def incidents(db) -> list[Incident]:
    return list(db.session.scalars(select(Incident).order_by(Incident.id)))


def journal(db, ticket) -> list[JournalEntry]:
    return list(
        db.session.scalars(
            select(JournalEntry)
            .where(JournalEntry.ticket_id == ticket.id)
            .order_by(JournalEntry.id)
        )
    )


def test_a_mail_from_a_known_person_opens_an_incident_with_the_mailbox_defaults(db, desk):
    outcome = intake.take(mail("kim@example.com"), desk.mailbox)
    (incident,) = incidents(db)
    assert outcome.line() == incident.number
    assert outcome.action == "created"
    assert incident.caller_id == desk.kim.id  # matched case-insensitively
    assert incident.channel == Channel.EMAIL
    assert incident.short_description == "Printer on floor 3 is jammed"
    assert "jams on every page" in incident.description
    assert incident.assignment_group_id == desk.group.id
    assert (incident.impact, incident.urgency, incident.category) == (2, 2, "Hardware")
    row = db.session.scalar(select(InboundMessage))
    assert (row.state, row.action, row.ticket_id) == (
        MessageState.PROCESSED,
        "created",
        incident.id,
    )


def test_a_mail_without_subject_gets_a_plain_title(db, desk):
    intake.take(mail(subject=""), desk.mailbox)
    assert incidents(db)[0].short_description == "(no subject)"


def test_the_same_message_twice_makes_one_ticket(db, desk):
    raw = mail()
    first = intake.take(raw, desk.mailbox)
    second = intake.take(raw, desk.mailbox)
    assert first.number
    assert second.line() == "ignored: already received"
    assert len(incidents(db)) == 1


def test_a_message_without_message_id_is_still_received_once(db, desk):
    raw = mail(with_message_id=False)
    assert intake.take(raw, desk.mailbox).number
    assert intake.take(raw, desk.mailbox).ignored == "already received"
    assert len(incidents(db)) == 1


def test_an_unknown_sender_becomes_an_unverified_caller_who_cannot_sign_in(db, desk):
    outcome = intake.take(mail("new.person@elsewhere.org", name="Nora Newcomer"), desk.mailbox)
    caller = db.session.get(Incident, incidents(db)[0].id).caller
    assert outcome.action == "created"
    assert (caller.display_name, caller.email) == ("Nora Newcomer", "new.person@elsewhere.org")
    assert caller.unverified
    assert not caller.is_active
    assert caller.password_hash is None


def test_a_mailbox_that_refuses_unknown_senders_answers_politely_and_opens_nothing(db, desk):
    from app.mail.outgoing.models import OutboundMail

    desk.mailbox.unknown_senders = UnknownSenders.REFUSE
    db.session.commit()
    outcome = intake.take(mail("stranger@elsewhere.org"), desk.mailbox)
    assert outcome.line() == "ignored: unknown sender: refused by mail"
    assert incidents(db) == []
    assert db.session.scalar(select(func.count()).select_from(User).where(User.unverified)) == 0
    refusal = db.session.scalar(select(OutboundMail).where(OutboundMail.kind == "refusal"))
    assert refusal.to_address == "stranger@elsewhere.org"
    assert refusal.auto_generated


def test_a_reply_by_subject_token_from_the_caller_is_a_public_reply(db, desk):
    number = intake.take(mail(), desk.mailbox).number
    outcome = intake.take(mail(subject=f"Re: [{number}] Printer", body="Still jammed."), None)
    incident = incidents(db)[0]
    assert (outcome.number, outcome.action) == (number, "replied")
    replies = [e for e in journal(db, incident) if e.kind == EntryKind.REPLY]
    assert [e.body for e in replies] == ["Still jammed."]
    assert replies[0].author_id == desk.kim.id


def test_a_reply_threads_by_in_reply_to_on_a_message_the_desk_received(db, desk):
    first = mail()
    number = intake.take(first, desk.mailbox).number
    answer = mail(
        subject="Re: something else", body="More details.", in_reply_to=message_id_of(first)
    )
    assert intake.take(answer, desk.mailbox).number == number
    assert len(incidents(db)) == 1


def test_a_reply_threads_by_the_ticket_thread_root(db, desk):
    number = intake.take(mail(), desk.mailbox).number
    answer = mail(
        subject="no token here", body="Thanks", references=f"<{number}.ticket@desk.example>"
    )
    assert intake.take(answer, desk.mailbox).number == number


def test_a_reply_to_a_mail_the_desk_sent_threads_to_its_ticket(db, desk):
    from app.mail.outgoing import services as outgoing

    number = intake.take(mail(), desk.mailbox).number
    incident = incidents(db)[0]
    sent = outgoing.queue_mail(
        to_address="kim@example.com", subject="We are on it", text="Hi", ticket=incident
    )
    db.session.commit()
    answer = mail(subject="Re: We are on it", body="Great", in_reply_to=sent.message_id)
    assert intake.take(answer, desk.mailbox).number == number


def test_a_caller_reply_resumes_an_incident_awaiting_the_caller(db, desk):
    from app.incidents import services

    number = intake.take(mail(), desk.mailbox).number
    incident = incidents(db)[0]
    services.change_state(
        incident,
        Transition(State.ON_HOLD, hold_reason=HoldReason.AWAITING_CALLER),
        actor=desk.agent,
    )
    db.session.commit()
    intake.take(mail(subject=f"Re: [{number}]", body="Here is the model: HP 4100"), None)
    db.session.refresh(incident)
    assert incident.state == State.IN_PROGRESS
    assert incident.caller_replied_at is not None


def test_an_agent_mail_on_a_ticket_is_a_public_reply(db, desk):
    number = intake.take(mail(), desk.mailbox).number
    outcome = intake.take(mail("ivan@example.com", subject=f"[{number}]", body="Try now."), None)
    incident = incidents(db)[0]
    assert outcome.action == "replied"
    entry = journal(db, incident)[-1]
    assert (entry.kind, entry.author_id, entry.body) == (EntryKind.REPLY, desk.agent.id, "Try now.")
    assert incident.first_response_at is not None


def test_a_strangers_mail_is_a_work_note_no_employee_sees(db, desk, client):
    number = intake.take(mail(), desk.mailbox).number
    outcome = intake.take(
        mail("someone@elsewhere.org", subject=f"Re: [{number}]", body="I know the fix: reboot"),
        None,
    )
    assert outcome.action == "note"
    note = journal(db, incidents(db)[0])[-1]
    assert note.kind == EntryKind.WORK_NOTE
    assert note.body.startswith("Mail from someone@elsewhere.org (not a participant)")
    desk.kim.email = "kim@example.com"
    from tests.conftest import PASSWORD

    client.login(desk.kim.username, PASSWORD)
    page = client.get(f"/incidents/{number}").get_data(as_text=True)
    assert "Printer on floor 3" in page
    assert "I know the fix" not in page


def test_a_caller_reply_reopens_a_resolved_incident_up_to_the_hourly_limit(
    db, desk, app, signed_in
):
    from app.incidents import services

    number = intake.take(mail(), desk.mailbox).number
    incident = incidents(db)[0]
    limit = app.config["MAIL_MAX_REOPENS_PER_TICKET_HOUR"]
    outcomes = []
    for n in range(limit + 1):
        services.change_state(
            incident,
            Transition(State.RESOLVED, resolution_code="solved_remotely", resolution_notes="Fixed"),
            actor=desk.agent,
        )
        db.session.commit()
        outcomes.append(intake.take(mail(subject=f"Re: [{number}]", body=f"Back {n}"), None))
    assert [o.action for o in outcomes[:limit]] == ["reopened"] * limit
    assert outcomes[-1].quarantined
    assert "reopened by mail" in outcomes[-1].quarantined
    db.session.refresh(incident)
    assert incident.state == State.RESOLVED
    assert incident.reopen_count == limit
    client, admin = signed_in("admin")
    for language, words in (
        ("sv", f"{number} öppnades igen med mejl {limit} gånger den senaste timmen"),
        ("en", f"{number} was reopened by mail {limit} times in the last hour"),
    ):
        admin.language = language
        db.session.commit()
        assert words in client.get("/mail/quarantine").get_data(as_text=True)


def test_automated_mail_never_opens_or_answers_a_ticket(db, desk):
    number = intake.take(mail(), desk.mailbox).number
    before = len(journal(db, incidents(db)[0]))
    auto = mail(
        subject=f"Out of office: Re: [{number}]",
        body="I am away until Monday.",
        headers={"Auto-Submitted": "auto-replied"},
    )
    bulk = mail("news@vendor.example", subject="Newsletter", headers={"Precedence": "bulk"})
    assert intake.take(auto, None).ignored.startswith("automated mail")
    assert intake.take(bulk, None).ignored.startswith("automated mail")
    assert len(incidents(db)) == 1
    assert len(journal(db, incidents(db)[0])) == before


def test_our_own_mail_coming_back_creates_nothing(db, desk):
    """The loop: the desk's auto-reply bounced back to its own address."""
    echo = mail("servicedesk@example.com", subject="[INC0009999] Your ticket", name="Desk")
    assert intake.take(echo, desk.mailbox).ignored == (
        "sent by the desk's own address servicedesk@example.com"
    )
    assert incidents(db) == []


def test_a_sender_gets_at_most_the_hourly_number_of_new_tickets(db, desk, app):
    limit = app.config["MAIL_MAX_TICKETS_PER_SENDER_HOUR"]
    outcomes = [intake.take(mail(subject=f"Problem {n}"), desk.mailbox) for n in range(limit + 1)]
    assert all(o.action == "created" for o in outcomes[:limit])
    assert "more than" in outcomes[-1].quarantined
    assert len(incidents(db)) == limit


def test_attachments_are_kept_and_one_too_large_is_named_in_a_work_note(db, desk, app, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1000)
    raw = mail(
        files=[
            ("screenshot.png", "image/png", b"\x89PNG" + b"x" * 200),
            ("dump.bin", "application/octet-stream", b"y" * 5000),
        ]
    )
    number = intake.take(raw, desk.mailbox).number
    incident = incidents(db)[0]
    names = db.session.scalars(
        select(Attachment.filename).where(Attachment.ticket_id == incident.id)
    )
    assert list(names) == ["screenshot.png"]
    notes = [e.body for e in journal(db, incident) if e.kind == EntryKind.WORK_NOTE]
    assert number
    assert any("dump.bin" in n and "not kept" in n for n in notes)


def test_a_failure_rolls_back_the_ticket_and_quarantines_the_message(db, desk):
    desk.mailbox.impact = 9  # no such impact: opening the incident fails
    db.session.commit()
    raw = mail()
    outcome = intake.take(raw, desk.mailbox)
    assert outcome.quarantined
    assert "could not be processed" in outcome.quarantined
    assert incidents(db) == []
    row = db.session.scalar(select(InboundMessage))
    assert row.state == MessageState.QUARANTINED
    assert row.raw == raw


def test_an_unreadable_message_is_quarantined_with_its_bytes(db, desk):
    raw = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600
    outcome = intake.take(raw, desk.mailbox)
    assert outcome.quarantined
    assert "Outlook" in outcome.quarantined
    assert db.session.scalar(select(InboundMessage.raw)) == raw
    assert intake.take(raw, desk.mailbox).ignored == "already received"


def dsn(recipient: str, original_id: str) -> bytes:
    """A real-looking RFC 3464 delivery status notification for one of our mails."""
    return (
        "From: MAILER-DAEMON@mx.example.org (Mail Delivery System)\r\n"
        "To: servicedesk@example.com\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "Auto-Submitted: auto-replied\r\n"
        "Message-ID: <bounce-1@mx.example.org>\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        "--B\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example.org\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 user unknown\r\n"
        "--B\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"From: servicedesk@example.com\r\nTo: {recipient}\r\nMessage-ID: {original_id}\r\n"
        "Subject: [INC0001001] We are on it\r\n"
        "--B--\r\n"
    ).encode()


def test_a_bounce_marks_the_address_and_is_noted_on_the_ticket_never_a_new_one(db, desk):
    from app.mail.outgoing import services as outgoing

    number = intake.take(mail(), desk.mailbox).number
    incident = incidents(db)[0]
    sent = outgoing.queue_mail(
        to_address="gone@example.com", subject="We are on it", text="Hi", ticket=incident
    )
    db.session.commit()
    outcome = intake.take(dsn("gone@example.com", sent.message_id), desk.mailbox)
    assert (outcome.number, outcome.action) == (number, "bounce")
    assert outgoing.is_bouncing("gone@example.com")
    assert len(incidents(db)) == 1
    note = journal(db, incident)[-1]
    assert note.kind == EntryKind.WORK_NOTE
    assert note.body.startswith("Mail to gone@example.com bounced")
    kept = db.session.scalar(select(Attachment).where(Attachment.journal_entry_id == note.id))
    assert kept.filename == "bounce.eml"
    assert kept.internal


def test_a_caller_answering_a_closed_incident_opens_a_follow_up(db, desk):
    from app.incidents import services

    number = intake.take(mail(), desk.mailbox).number
    incident = incidents(db)[0]
    services.change_state(
        incident,
        Transition(State.RESOLVED, resolution_code="solved_remotely", resolution_notes="Fixed"),
        actor=desk.agent,
    )
    services.confirm_resolution(incident, actor=desk.kim)
    db.session.commit()
    outcome = intake.take(mail(subject=f"Re: [{number}]", body="It is broken again"), None)
    assert outcome.action == "created"
    assert outcome.number != number
    follow_up = incidents(db)[-1]
    assert follow_up.description.startswith(f"Follow-up to {number}, which is closed.")
    assert follow_up.caller_id == desk.kim.id
    db.session.refresh(incident)
    assert incident.state == State.CLOSED


def test_processing_a_limited_message_again_lets_it_through(db, desk, app, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_MAX_TICKETS_PER_SENDER_HOUR", 1)
    intake.take(mail(subject="First"), desk.mailbox)
    held = intake.take(mail(subject="Second"), desk.mailbox)
    assert held.quarantined
    row = db.session.scalar(select(InboundMessage).where(InboundMessage.subject == "Second"))
    again = intake.take(row.raw, desk.mailbox, again=row)  # an administrator's decision
    assert again.action == "created"
    assert [i.short_description for i in incidents(db)] == ["First", "Second"]
    db.session.refresh(row)
    assert (row.state, row.raw) == (MessageState.PROCESSED, None)


def test_quarantining_a_message_another_delivery_processed_leaves_it_processed(db, desk):
    """The loser of two parallel deliveries of one message (its commit refused by the unique
    Message-ID) must not turn the winner's row into a quarantined one."""
    from app.mail.incoming.services import quarantine

    raw = mail()
    number = intake.take(raw, desk.mailbox).number
    outcome = quarantine(raw, desk.mailbox, stored("the database refused it"))
    assert outcome.ignored == "already received"
    row = db.session.scalar(select(InboundMessage))
    assert (row.state, row.ticket.number) == (MessageState.PROCESSED, number)
