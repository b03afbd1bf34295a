"""Bad input through the whole intake: malformed headers, broken MIME, a 3 MB body, 50
attachments, an unknown charset, an Outlook file, no From. Each gets a ticket or a clear
reason (ignored or quarantined), nothing is half-saved, and the next message still flows."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.incidents.models import Incident
from app.mail.incoming import intake
from app.mail.incoming.models import InboundMessage, MessageState
from app.tickets.models import Attachment
from tests.mail.intake_mails import mail

HEAD = b"From: Kim Lee <kim@example.com>\r\nTo: desk@example.com\r\nMessage-ID: <%s@x>\r\n"

CASES = {
    "malformed headers": HEAD % b"h1"
    + b"Subject: =?utf-8?q?broken=ZZ?=\r\nDate: not a date\r\nX-Broken\r\n\r\nBody\r\n",
    "broken mime": HEAD
    % b"h2"
    + b'Subject: Parts\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="B"\r\n'
    b"\r\n--B\r\nContent-Type: text/plain\r\n\r\nFirst part, never closed\r\n--B\r\n",
    "unknown charset": HEAD
    % b"h3"
    + b"Subject: Charset\r\nContent-Type: text/plain; charset=x-no-such-charset\r\n\r\n"
    b"Caf\xe9 au lait\r\n",
    "binary garbage": bytes(range(256)) * 8,
    "outlook file": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600,
    "no from": b"To: desk@example.com\r\nSubject: Who am I\r\n\r\nNobody sent this\r\n",
    "empty": b"",
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_gets_a_ticket_or_a_clear_reason_and_the_next_mail_flows(db, make_user, case):
    make_user(email="kim@example.com")
    outcome = intake.take(CASES[case], None)
    row = db.session.scalar(select(InboundMessage).order_by(InboundMessage.id))
    tickets = db.session.scalar(select(func.count()).select_from(Incident))
    if outcome.number:
        assert tickets == 1
        assert row.state == MessageState.PROCESSED
    else:
        assert tickets == 0  # nothing half-saved
        reason = outcome.quarantined or outcome.ignored
        assert reason is not None, outcome
        assert len(reason) > 10, outcome
        assert row.state in (MessageState.QUARANTINED, MessageState.IGNORED)
        assert row.raw == CASES[case]
    assert intake.take(mail(subject="Next one"), None).action == "created"


def test_a_3_mb_body_is_cut_to_what_a_ticket_keeps(db, make_user):
    make_user(email="kim@example.com")
    outcome = intake.take(mail(body="The log says: " + "x" * (3 * 2**20)), None)
    incident = db.session.scalar(select(Incident))
    assert outcome.number == incident.number
    assert len(incident.description) <= 20_000
    assert incident.description.endswith("[The mail was longer; the rest was cut.]")


def test_fifty_attachments_are_all_kept(db, make_user):
    make_user(email="kim@example.com")
    files = [(f"photo-{n:02d}.jpg", "image/jpeg", bytes([n]) * 100) for n in range(50)]
    outcome = intake.take(mail(files=files), None)
    incident = db.session.scalar(select(Incident))
    names = db.session.scalars(
        select(Attachment.filename).where(Attachment.ticket_id == incident.id)
    ).all()
    assert outcome.number
    assert sorted(names) == [f for f, _, _ in files]
