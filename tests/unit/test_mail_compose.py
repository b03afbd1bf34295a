"""Composing a mail: a subject reads back exactly as it was set, however long it is and
whatever its characters (the standard library alone folds some before their first word)."""

from __future__ import annotations

from datetime import UTC, datetime
from email import policy
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


@pytest.mark.parametrize("subject", SUBJECTS)
def test_the_subject_reads_back_unchanged_and_lines_stay_short(subject):
    parts = MailParts(
        message_id="<a.b@desk.example.org>",
        from_address="servicedesk@desk.example.org",
        from_name="IT Service Desk",
        to_address="kim@example.com",
        to_name="Kim Lee",
        reply_to="help@desk.example.org",
        subject=subject,
        text="Hello",
        date=datetime(2026, 12, 6, 11, 0, tzinfo=UTC),
    )
    raw = compose(parts).as_bytes()
    assert BytesParser(policy=policy.default).parsebytes(raw)["Subject"] == subject
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert head.count(b"Subject:") == 1
    assert not head.split(b"Subject:", 1)[1].startswith(b"\r\n")
    assert all(len(line) <= 998 for line in head.split(b"\r\n"))
