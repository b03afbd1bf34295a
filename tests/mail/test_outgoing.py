"""Mail out against a real SMTP server (aiosmtpd on loopback): what the server receives, as
bytes parsed back, is what a recipient's mail client would show."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.auth.models import User
from app.errors import Invalid
from app.mail.outgoing.models import MailState, OutboundMail
from app.mail.outgoing.services import (
    desk_addresses,
    is_bouncing,
    mark_bouncing,
    queue_mail,
    thread_headers,
)
from app.outbox import deliver_due
from app.outbox.models import OutboxMessage, OutboxState
from app.timeutils import utc_now


@pytest.fixture
def incident(make_user, db):
    from app.incidents import services

    caller = make_user("kim", email="Kim@Example.org")
    incident = services.open_incident(
        caller=caller, opened_by=caller, short_description="Printer on fire"
    )
    db.session.commit()
    return incident


def mails(db) -> list[OutboundMail]:
    return list(db.session.scalars(select(OutboundMail).order_by(OutboundMail.id)))


def outbox(db) -> list[OutboxMessage]:
    """The mails' outbox messages (not the notifications' fan-out of the ticket's events)."""
    query = select(OutboxMessage).where(OutboxMessage.kind == "mail.send")
    return list(db.session.scalars(query.order_by(OutboxMessage.id)))


def test_without_smtp_host_a_mail_is_recorded_and_not_sent(app, db, smtp_server, incident):
    assert not app.config["SMTP_HOST"]
    mail = queue_mail(
        to_address="kim@example.org", subject="Your incident", text="Hello", ticket=incident
    )
    db.session.commit()
    assert mail.state == MailState.RECORDED
    assert mail.subject == f"[{incident.number}] Your incident"
    assert outbox(db) == []  # nothing to deliver
    assert smtp_server.received == []


def test_a_mail_goes_out_multipart_with_the_desk_headers(db, sending, incident):
    kim = db.session.get(User, incident.caller_id)
    mail = queue_mail(
        to_address="Kim@Example.org",
        subject=f"Re: [{incident.number}] Printer on fire",
        text="Your incident was received.\nNumber: " + incident.number,
        html="<p>Your incident was <b>received</b>.</p>",
        ticket=incident,
        recipient=kim,
    )
    assert sending.received == []  # nothing leaves before the commit
    db.session.commit()
    assert len(sending.received) == 1
    received = sending.received[0]
    assert received.mail_from == "servicedesk@desk.example.org"
    assert received.rcpt_tos == ("kim@example.org",)
    message = received.message
    assert message["Subject"] == f"Re: [{incident.number}] Printer on fire"  # token once
    assert message["From"] == "Deskgraph Service Desk <servicedesk@desk.example.org>"
    assert message["Reply-To"].addresses[0].addr_spec == "help@desk.example.org"
    assert message["To"].addresses[0].addr_spec == "kim@example.org"
    assert message["Message-ID"] == mail.message_id
    assert message["Message-ID"].endswith("@desk.example.org>")
    assert message["Date"] is not None
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["X-Auto-Response-Suppress"] == "All"
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text.get_content().startswith("Your incident was received.")
    assert "<b>received</b>" in html.get_content()
    db.session.refresh(mail)
    assert mail.state == MailState.SENT
    assert mail.attempts == 1
    assert mail.sent_at is not None
    assert [m.state for m in outbox(db)] == [OutboxState.DONE]


def test_two_mails_of_one_ticket_thread_together(db, sending, incident):
    first = queue_mail(to_address="kim@example.org", subject="Received", text="1", ticket=incident)
    db.session.commit()
    second = queue_mail(to_address="kim@example.org", subject="Resolved", text="2", ticket=incident)
    db.session.commit()
    root = f"<{incident.number}.ticket@desk.example.org>"
    one, two = sending.messages()
    assert one["Message-ID"] == first.message_id
    assert one["References"] == root
    assert one["In-Reply-To"] == root
    assert two["Message-ID"] == second.message_id
    assert two["References"].split() == [root, first.message_id]
    assert two["In-Reply-To"] == first.message_id
    assert thread_headers(incident) == (
        second.message_id,
        [root, first.message_id, second.message_id],
    )


def test_each_recipient_s_thread_holds_only_the_mails_they_received(db, sending, incident):
    to_kim = queue_mail(to_address="kim@example.org", subject="Received", text="1", ticket=incident)
    to_lee = queue_mail(to_address="lee@example.org", subject="Received", text="1", ticket=incident)
    again = queue_mail(to_address="Kim@Example.org", subject="Resolved", text="2", ticket=incident)
    db.session.commit()
    root = f"<{incident.number}.ticket@desk.example.org>"
    assert to_lee.references.split() == [root]
    assert again.references.split() == [root, to_kim.message_id]
    assert again.in_reply_to == to_kim.message_id
    assert thread_headers(incident, "lee@example.org") == (
        to_lee.message_id,
        [root, to_lee.message_id],
    )
    assert thread_headers(incident)[1] == [
        root,
        to_kim.message_id,
        to_lee.message_id,
        again.message_id,
    ]


def test_a_human_reply_is_not_marked_automatic(db, sending, incident):
    queue_mail(
        to_address="kim@example.org",
        subject="About your printer",
        text="Please check the paper tray.",
        ticket=incident,
        kind="reply",
        auto_generated=False,
        in_reply_to="<abc@kim.example.org>",
    )
    db.session.commit()
    (message,) = sending.messages()
    assert message["Auto-Submitted"] is None
    assert message["X-Auto-Response-Suppress"] is None
    assert message.get_content_type() == "text/plain"
    assert message["In-Reply-To"] == "<abc@kim.example.org>"
    assert message["References"].split()[-1] == "<abc@kim.example.org>"


def test_a_bouncing_address_gets_a_dead_row_and_no_mail(db, sending, incident):
    at = utc_now()
    mark_bouncing("KIM@example.org", "550 5.1.1 mailbox unknown", at)
    entry = mark_bouncing("kim@example.org", "550 5.1.1 mailbox unknown", at)
    assert entry.bounce_count == 2
    assert is_bouncing("Kim@Example.ORG")
    assert not is_bouncing("someone@example.org")
    mail = queue_mail(to_address="kim@example.org", subject="Hi", text="x", ticket=incident)
    db.session.commit()
    assert mail.state == MailState.DEAD
    assert "bouncing since" in mail.last_error
    assert "mailbox unknown" in mail.last_error
    assert sending.received == []


def test_a_permanent_refusal_kills_the_mail_with_the_server_answer(db, sending):
    sending.rcpt_reply = "550 5.1.1 No such user here"
    mail = queue_mail(to_address="nobody@example.org", subject="Hi", text="x")
    db.session.commit()
    db.session.refresh(mail)
    assert mail.state == MailState.DEAD
    assert "550 5.1.1 No such user here" in mail.last_error
    (message,) = outbox(db)
    assert message.state == OutboxState.DEAD
    assert "550 5.1.1" in message.last_error


def test_a_temporary_refusal_is_retried_and_then_sent_once(db, sending):
    sending.rcpt_reply = "451 4.3.0 Try again later"
    mail = queue_mail(to_address="kim@example.org", subject="Hi", text="x")
    db.session.commit()
    db.session.refresh(mail)
    assert mail.state == MailState.FAILED
    assert "451 4.3.0" in mail.last_error
    (message,) = outbox(db)
    assert message.state == OutboxState.PENDING
    sending.rcpt_reply = None
    assert deliver_due() == 0  # not due yet
    assert deliver_due(utc_now() + timedelta(minutes=1)) == 1
    db.session.refresh(mail)
    assert mail.state == MailState.SENT
    assert mail.attempts == 2
    assert len(sending.received) == 1


def test_an_invalid_address_is_refused(db):
    with pytest.raises(Invalid):
        queue_mail(to_address="not an address", subject="Hi", text="x")


def test_the_desk_addresses_are_mail_from_and_reply_to(db, sending):
    assert desk_addresses() == {"servicedesk@desk.example.org", "help@desk.example.org"}


def test_a_mail_waiting_when_smtp_is_switched_off_is_only_recorded(app, db, sending, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")  # queue, no delivery
    mail = queue_mail(to_address="kim@example.org", subject="Waiting", text="x")
    db.session.commit()
    assert mail.state == MailState.QUEUED
    monkeypatch.setitem(app.config, "REDIS_URL", None)
    monkeypatch.setitem(app.config, "SMTP_HOST", None)
    assert deliver_due() == 1
    db.session.refresh(mail)
    assert mail.state == MailState.RECORDED
    assert "no SMTP server is configured" in mail.last_error
    assert sending.received == []
