"""What the desk reads in a message beyond its text: automated mail (the loop checks), an
approver's answer, ticket numbers in a subject."""

from __future__ import annotations

import pytest

from app.mail.parsing.automated import automated_reason
from app.mail.parsing.message import parse
from app.mail.parsing.words import NUMBER_PREFIXES, approval_answer, subject_tokens
from app.tickets.models import TICKET_PREFIXES


def mail_with(*headers: str, sender: str = "anna@example.com", content_type: str = "text/plain"):
    raw = (
        f"From: {sender}\r\nTo: desk@example.com\r\nSubject: Re: INC0001234\r\n"
        + "".join(f"{header}\r\n" for header in headers)
        + f"Content-Type: {content_type}\r\n\r\nThanks\r\n"
    )
    return parse(raw.encode())


@pytest.mark.parametrize(
    ("headers", "sender", "content_type", "reason"),
    [
        (["Auto-Submitted: auto-replied"], None, None, "Auto-Submitted: auto-replied"),
        (
            ["Auto-Submitted: auto-generated; owner-email=x@y.z"],
            None,
            None,
            "Auto-Submitted: auto-generated; owner-email=x@y.z",
        ),
        (["X-Auto-Response-Suppress: All"], None, None, "X-Auto-Response-Suppress: All"),
        (["Precedence: bulk"], None, None, "Precedence: bulk"),
        (["Precedence: JUNK"], None, None, "Precedence: junk"),
        (["Precedence: list"], None, None, "Precedence: list"),
        (["Precedence: auto_reply"], None, None, "Precedence: auto_reply"),
        (["X-Autoreply: yes"], None, None, "X-Autoreply: yes"),
        (["X-Autorespond: Out of office"], None, None, "X-Autorespond: Out of office"),
        (
            ["List-Id: IT news <news.example.com>"],
            None,
            None,
            "List-Id: IT news <news.example.com>",
        ),
        (["Return-Path: <>"], None, None, "a null return path (<>)"),
        ([], "MAILER-DAEMON@mx.example.com", None, "sent by mailer-daemon@mx.example.com"),
        ([], "Postmaster <postmaster@example.com>", None, "sent by postmaster@example.com"),
        (
            [],
            None,
            "multipart/report; report-type=disposition-notification; boundary=x",
            "a report (multipart/report)",
        ),
    ],
)
def test_automated_mail_is_recognised_with_its_reason(headers, sender, content_type, reason):
    mail = mail_with(
        *headers, sender=sender or "anna@example.com", content_type=content_type or "text/plain"
    )
    assert automated_reason(mail) == reason


@pytest.mark.parametrize(
    "headers",
    [
        [],
        ["Auto-Submitted: no"],
        ["Auto-Submitted: No"],
        ["Precedence: normal"],
        ["Return-Path: <anna@example.com>"],
    ],
)
def test_a_person_s_mail_is_not_automated(headers):
    assert automated_reason(mail_with(*headers)) is None


@pytest.mark.parametrize(
    ("reply", "answer"),
    [
        ("Approve", ("approve", "")),
        ("approved, the budget is there", ("approve", "the budget is there")),
        ("YES", ("approve", "")),
        ("OK.\nGo ahead.", ("approve", "Go ahead.")),
        ("Reject: too expensive", ("reject", "too expensive")),
        ("rejected", ("reject", "")),
        ("No - use the old one", ("reject", "use the old one")),
        ("Deny", ("reject", "")),
        ("Godkänn", ("approve", "")),
        ("godkänd, men bara i år", ("approve", "men bara i år")),
        ("Ja!", ("approve", "")),
        ("Avslå. För dyrt.", ("reject", "För dyrt.")),
        ("AVVISA", ("reject", "")),
        ("nej tack", ("reject", "tack")),
        ("  \n Approve\n\nThanks, Anna", ("approve", "Thanks, Anna")),
    ],
)
def test_the_first_word_of_a_reply_is_the_answer(reply, answer):
    assert approval_answer(reply) == answer


@pytest.mark.parametrize(
    "reply",
    [
        "",
        "I approve of this",
        "Okey dokey",
        "Yesterday I said yes",
        "Nobody asked",
        "Jag godkänner",
        "Approval later",
        "No problem, go ahead",
        "no objections from me",
    ],
)
def test_no_answer_unless_the_first_word_is_one(reply):
    assert approval_answer(reply) is None


def test_subject_tokens_finds_every_ticket_number_once_in_order():
    subject = "Re: [INC0001234] printer; see req0000042, INC0001234 and SCTASK0001001 (RITM0012345)"
    assert subject_tokens(subject) == ["INC0001234", "REQ0000042", "SCTASK0001001", "RITM0012345"]


@pytest.mark.parametrize(
    "subject", ["INC123", "XINC0001234", "INC00012345678a", "Printer on floor 3", ""]
)
def test_subject_tokens_ignores_what_is_not_a_number(subject):
    assert subject_tokens(subject) == []


def test_the_number_prefixes_are_those_tickets_use():
    assert set(NUMBER_PREFIXES) == set(TICKET_PREFIXES.values())
