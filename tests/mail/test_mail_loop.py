"""The whole mail loop, end to end: what the desk sends reaches a real SMTP server (aiosmtpd),
what people send back is built from those received bytes and taken by ``intake.take`` as the
pipe command would, and the journeys a helpdesk user expects hold on both ends: the bytes on
the wire and the ticket (both databases)."""

from __future__ import annotations

from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime, make_msgid
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select

from app.extensions import db as _db
from app.incidents import services as incident_services
from app.incidents.models import Incident
from app.mail.incoming import intake
from app.mail.incoming.models import Mailbox
from app.notifications.models import Notification
from app.tickets.models import Channel, EntryKind, JournalEntry
from app.timeutils import utc_now
from tests.incidents.conftest import queue  # noqa: F401  (shared builder)
from tests.mail.intake_mails import mail, message_id_of
from tests.requests.conftest import make_item, org, place  # noqa: F401  (shared builders)
from tests.smtp_server import SmtpServer, sending, smtp_server  # noqa: F401

DESK = "help@desk.example.org"  # MAIL_REPLY_TO of tests.smtp_server: what people write to


@pytest.fixture
def loop(db, make_user, queue, sending: SmtpServer) -> Any:  # noqa: F811
    """A mailbox at the desk's address routing to a queue with one agent; Kim, an employee
    with an address; the application sending to ``sending``."""
    agent = make_user(roles=["agent", "employee"], email="ivan@example.com", display_name="Ivan")
    kim = make_user(display_name="Kim Lee", email="kim@example.com")
    group = queue("Mail queue", members=(agent,))
    db.session.add(Mailbox(name="Service desk", address=DESK, assignment_group_id=group.id))
    db.session.commit()
    return SimpleNamespace(agent=agent, kim=kim, group=group, smtp=sending)


def to(address: str, smtp: SmtpServer) -> list[EmailMessage]:
    return [m for m in smtp.messages() if m["To"].addresses[0].addr_spec == address]


def text_of(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content())  # type: ignore[attr-defined]


def reply_to(received: EmailMessage, body: str, *, sender: str = "kim@example.com") -> bytes:
    """What a mail client sends when its user answers ``received``: the subject with ``Re:``,
    In-Reply-To its Message-ID, References extended, the earlier text quoted below."""
    answer = EmailMessage()
    answer["From"] = f"Kim Lee <{sender}>"
    answer["To"] = str(received["Reply-To"])
    answer["Subject"] = f"Re: {received['Subject']}"
    answer["Date"] = format_datetime(utc_now())
    answer["Message-ID"] = make_msgid("reply", "mail.example.com")
    answer["In-Reply-To"] = received["Message-ID"]
    answer["References"] = f"{received['References'] or ''} {received['Message-ID']}".strip()
    quoted = "\n".join(f"> {line}" for line in text_of(received).splitlines())
    when = format_datetime(utc_now())
    answer.set_content(f"{body}\n\nOn {when}, IT Service Desk <{DESK}> wrote:\n{quoted}\n")
    return bytes(answer)


def incidents() -> list[Incident]:
    return list(_db.session.scalars(select(Incident).order_by(Incident.id)))


def entries(ticket: Any) -> list[JournalEntry]:
    return list(
        _db.session.scalars(
            select(JournalEntry)
            .where(JournalEntry.ticket_id == ticket.id)
            .order_by(JournalEntry.id)
        )
    )


def kinds(user: Any) -> list[str]:
    return list(
        _db.session.scalars(
            select(Notification.kind)
            .where(Notification.recipient_id == user.id)
            .order_by(Notification.id)
        )
    )


def opened(loop: Any) -> tuple[Incident, EmailMessage]:
    """Journey 1, shared: Kim mails the desk; the incident and the mail she receives."""
    sent = mail("kim@example.com", "Printer on floor 3 is jammed", to=DESK)
    outcome = intake.take(sent, None)
    (incident,) = incidents()
    assert outcome.number == incident.number
    (received,) = to("kim@example.com", loop.smtp)
    assert received["In-Reply-To"] == message_id_of(sent)  # her client threads the two
    return incident, received


def test_a_mail_opens_an_incident_and_the_sender_receives_its_number(db, loop):
    incident, received = opened(loop)
    assert incident.channel == Channel.EMAIL
    assert incident.caller_id == loop.kim.id
    assert received["Subject"].startswith(f"[{incident.number}] ")  # no folded leading blank
    assert received["Auto-Submitted"] == "auto-generated"
    assert received["Reply-To"].addresses[0].addr_spec == DESK
    assert f"<{incident.number}.ticket@" in received["References"]


def test_a_long_subject_survives_the_round_trip_without_a_leading_blank(db, loop):
    subject = "The " + "very " * 20 + "long subject about the printer"
    intake.take(mail("kim@example.com", subject, to=DESK), None)
    (received,) = to("kim@example.com", loop.smtp)
    (incident,) = incidents()
    assert received["Subject"].startswith(f"[{incident.number}] ")
    assert incident.short_description == subject


def test_the_callers_reply_lands_on_the_incident_without_the_quoted_history(db, loop):
    incident, received = opened(loop)
    incident_services.assign_incident(
        incident, group=loop.group, assignee=loop.agent, actor=loop.agent
    )
    db.session.commit()
    outcome = intake.take(reply_to(received, "It is tray 2, and it clicks."), None)
    assert (outcome.number, outcome.action) == (incident.number, "replied")
    assert len(incidents()) == 1
    reply = entries(incident)[-1]
    assert reply.kind == EntryKind.REPLY
    assert reply.author_id == loop.kim.id
    assert reply.body.strip() == "It is tray 2, and it clicks."  # no quoted history
    assert "caller_replied" in kinds(loop.agent)
    (told,) = [m for m in to("ivan@example.com", loop.smtp) if "replied" in m["Subject"]]
    assert "It is tray 2" in text_of(told)


def test_the_agents_public_answer_is_threaded_and_a_work_note_stays_inside(db, loop):
    incident, received = opened(loop)
    intake.take(reply_to(received, "It is tray 2."), None)
    db.session.refresh(incident)
    before = kinds(loop.kim)
    incident_services.comment(
        incident, author=loop.agent, body="Vendor case 4411 opened.", public=False
    )
    db.session.commit()
    assert kinds(loop.kim) == before  # nothing in the caller's bell
    assert len(to("kim@example.com", loop.smtp)) == 1  # and no mail
    incident_services.comment(
        incident, author=loop.agent, body="Please pull tray 2 out gently.", public=True
    )
    db.session.commit()
    first, answer = to("kim@example.com", loop.smtp)
    references = answer["References"].split()
    assert references[0] == f"<{incident.number}.ticket@desk.example.org>"
    assert first["Message-ID"] in references
    assert answer["In-Reply-To"] in references
    assert answer["Subject"].startswith(f"[{incident.number}] ")
    assert "Please pull tray 2 out gently." in text_of(answer)
    assert "4411" not in text_of(answer)


def test_an_out_of_office_answer_is_ignored_and_answered_by_nothing(db, loop):
    incident, received = opened(loop)
    sent_before = len(loop.smtp.received)
    entries_before = len(entries(incident))
    raw = reply_to(received, "I am out of the office until Monday.")
    auto = BytesParser(policy=policy.default).parsebytes(raw)
    auto.replace_header("Subject", f"Out of office: {received['Subject']}")
    auto["Auto-Submitted"] = "auto-replied"
    outcome = intake.take(bytes(auto), None)
    assert outcome.ignored
    assert len(entries(incident)) == entries_before
    assert len(loop.smtp.received) == sent_before
    assert len(incidents()) == 1


def dsn_for(bounced: EmailMessage) -> bytes:
    """The receiving MTA's RFC 3464 report that ``bounced`` could not be delivered."""
    recipient = bounced["To"].addresses[0].addr_spec
    return (
        "From: MAILER-DAEMON@mx.example.com (Mail Delivery System)\r\n"
        f"To: {bounced['From'].addresses[0].addr_spec}\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "Auto-Submitted: auto-replied\r\n"
        f"Message-ID: {make_msgid('bounce', 'mx.example.com')}\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        "--B\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example.com\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 user unknown\r\n"
        "--B\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"From: {bounced['From']}\r\nTo: {recipient}\r\n"
        f"Message-ID: {bounced['Message-ID']}\r\n"
        "--B--\r\n"
    ).encode()


def test_a_bounced_notification_marks_the_address_and_stops_the_next_mail(db, loop):
    from app.mail.outgoing import services as outgoing

    incident, received = opened(loop)
    outcome = intake.take(dsn_for(received), None)
    assert (outcome.number, outcome.action) == (incident.number, "bounce")
    assert outgoing.is_bouncing("kim@example.com")
    note = entries(incident)[-1]
    assert note.kind == EntryKind.WORK_NOTE
    assert "kim@example.com" in note.body
    incident_services.comment(incident, author=loop.agent, body="Any news?", public=True)
    db.session.commit()
    assert "public_reply" in kinds(loop.kim)  # still told in the app
    assert len(to("kim@example.com", loop.smtp)) == 1  # but no second mail


def test_our_own_mail_forwarded_back_to_the_desk_is_ignored(db, loop):
    incident, received = opened(loop)
    sent_before = len(loop.smtp.received)
    forwarded = BytesParser(policy=policy.default).parsebytes(loop.smtp.received[0].data)
    del forwarded["To"]
    forwarded["To"] = DESK  # a rule at the other desk sent it on, unchanged
    outcome = intake.take(bytes(forwarded), None)
    assert outcome.ignored
    assert len(incidents()) == 1
    assert len(loop.smtp.received) == sent_before
    assert [e.kind for e in entries(incident)].count(EntryKind.REPLY) == 0


def test_an_approver_approves_by_answering_the_approval_mail(db, org, make_item, place, sending):  # noqa: F811
    from app.requests.states import ItemState

    for person in (org.ann, org.kim):
        person.email = f"{person.username}@example.com"
    db.session.commit()
    item = place(make_item(approval_policy=[{"kind": "manager"}]))  # Ann approves Kim's
    (asked,) = to(org.ann.email, sending)
    assert f"[{item.number}]" in asked["Subject"]
    kim_before = len(to(org.kim.email, sending))
    answer = reply_to(asked, "Approve — fine by me", sender=org.ann.email)
    outcome = intake.take(answer, None)
    assert (outcome.number, outcome.action) == (item.number, "approved")
    db.session.refresh(item)
    assert item.state == ItemState.IN_PROGRESS
    journal = " ".join(e.body for e in entries(item))
    assert "Approved by Ann Smith from a mail reply. fine by me" in journal
    (told,) = to(org.kim.email, sending)[kim_before:]  # the requester hears it moved on
    assert told["Subject"].startswith(f"[{item.number}] is now in progress")
    assert "\n\n\n" not in text_of(told).replace("\r\n", "\n")  # no runs of blank lines
