"""Composing a mail: a subject and the threading headers read back exactly as they were set,
at the lengths where the email package's own folding broke them (a value that fits on a line
of its own was folded right after the colon and read back with a leading blank)."""

from __future__ import annotations

from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import pytest

from app.mail.outgoing.compose import MailParts, compose

SUBJECTS = [
    "short",
    # fits on a line of its own but not after "Subject: ": the stdlib's fold before it
    "[INC0001001] User86Cfb8Fe replied on INC0001001: Printer jams on every page",
    "[INC0001234] Åsa Öberg replied on INC0001234: Skrivaren på plan 3 fastnar igen",
    "[RITM0001001] Approval needed: " + "very " * 40 + "long",
    "[INC0001001] " + "x" * 120,
]
# A Message-ID as Python's make_msgid writes it: too long for "In-Reply-To: " plus itself.
LONG_ID = "<179655624451.20936.13448535508235459691.1b98d5b3@mail.example.com>"


def sent(subject: str = "Hello", in_reply_to: str | None = None, references=()) -> bytes:
    parts = MailParts(
        message_id="<INC0001001.1b4c88a48a745cdd3c50c70b@desk.example.org>",
        from_address="servicedesk@desk.example.org",
        from_name="IT Service Desk",
        to_address="kim@example.com",
        to_name="Kim Lee",
        reply_to="help@desk.example.org",
        subject=subject,
        text="Hello",
        date=datetime(2026, 12, 6, 11, 0, tzinfo=UTC),
        in_reply_to=in_reply_to,
        references=tuple(references),
    )
    return compose(parts)


def read(raw: bytes) -> EmailMessage:
    parsed = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(parsed, EmailMessage)
    return parsed


def header_lines(raw: bytes) -> list[bytes]:
    return raw.split(b"\r\n\r\n", 1)[0].split(b"\r\n")


@pytest.mark.parametrize("subject", SUBJECTS)
def test_the_subject_reads_back_unchanged_and_lines_stay_short(subject):
    raw = sent(subject)
    assert read(raw)["Subject"] == subject
    assert b"Subject:" not in header_lines(raw)  # never folded right after the name
    assert all(len(line) <= 998 for line in header_lines(raw))


def test_threading_headers_name_the_ids_exactly():
    references = ["<INC0001001.ticket@desk.example.org>", LONG_ID, LONG_ID.replace("1", "2")]
    message = read(sent(in_reply_to=LONG_ID, references=references))
    assert message["In-Reply-To"] == LONG_ID
    assert message["References"].split() == references
    assert message["References"] == " ".join(references)
    assert message["Message-ID"] == "<INC0001001.1b4c88a48a745cdd3c50c70b@desk.example.org>"
