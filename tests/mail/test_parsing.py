"""Reading one message: headers, text, the new part of a reply, attachments, refusals."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.mail.parsing.message import Unreadable, parse

PLAIN = (
    b"From: Anna Berg <Anna.Berg@Example.COM>\r\n"
    b"To: desk@example.com, Bo <bo@example.com>\r\n"
    b"Cc: watcher@example.com\r\n"
    b"Subject: =?utf-8?q?Skrivaren_p=C3=A5_plan_3?= [INC0001234]\r\n"
    b"Message-ID: <new-1@example.com>\r\n"
    b"In-Reply-To: <sent-9@desk.example.com>\r\n"
    b"References: <sent-1@desk.example.com>\r\n <sent-9@desk.example.com>\r\n"
    b"Date: Fri, 04 Dec 2026 10:15:00 +0100\r\n"
    b"Return-Path: <anna.berg@example.com>\r\n"
    b"\r\n"
    b"It still jams.\r\n"
    b"\r\n"
    b"On Thu, 3 Dec 2026 at 09:00, Desk <desk@example.com> wrote:\r\n"
    b"> Does the printer work now?\r\n"
)


def test_a_plain_reply_gives_its_headers_and_only_the_new_text():
    mail = parse(PLAIN)
    assert mail.from_address == "anna.berg@example.com"
    assert mail.from_name == "Anna Berg"
    assert mail.to == ["desk@example.com", "bo@example.com"]
    assert mail.cc == ["watcher@example.com"]
    assert mail.subject == "Skrivaren på plan 3 [INC0001234]"
    assert mail.message_id == "new-1@example.com"
    assert mail.in_reply_to == ["sent-9@desk.example.com"]
    assert mail.references == ["sent-1@desk.example.com", "sent-9@desk.example.com"]
    assert mail.date == datetime(2026, 12, 4, 9, 15, tzinfo=UTC)
    assert mail.return_path == "anna.berg@example.com"
    assert "Does the printer work now?" in mail.text
    assert mail.reply == "It still jams."
    assert mail.headers["subject"] == "Skrivaren på plan 3 [INC0001234]"
    assert mail.size == len(PLAIN)


def test_a_message_without_from_is_unreadable():
    with pytest.raises(Unreadable) as refused:
        parse(b"To: desk@example.com\r\nSubject: hi\r\n\r\nbody\r\n")
    assert refused.value.reason == "no From header"
