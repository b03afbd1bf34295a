"""The composer writes mail bytes by hand for speed: each shape is parsed back with the email
package (strictly, looking for defects) and must say exactly what was put in."""

from __future__ import annotations

from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import pytest

from app.mail.outgoing.compose import (
    MAX_REFERENCES,
    MailParts,
    compose,
    thread,
    thread_root,
    with_number,
)

WHEN = datetime(2026, 12, 6, 9, 30, tzinfo=UTC)


def parts(**changes) -> MailParts:
    values = {
        "message_id": "<INC0001234.abc123@desk.example.org>",
        "from_address": "servicedesk@desk.example.org",
        "from_name": "Deskgraph Service Desk",
        "to_address": "kim@example.org",
        "to_name": "Kim Lee",
        "reply_to": "help@desk.example.org",
        "subject": "[INC0001234] Received",
        "text": "Hello Kim,\n\nwe received your incident.\n",
        "date": WHEN,
        "html": "<p>Hello Kim,</p><p>we received your incident.</p>",
        "in_reply_to": "<INC0001234.ticket@desk.example.org>",
        "references": ("<INC0001234.ticket@desk.example.org>",),
    }
    return MailParts(**{**values, **changes})


def parse(data: bytes) -> EmailMessage:
    message = BytesParser(policy=policy.default).parsebytes(data)
    assert isinstance(message, EmailMessage)
    for part in message.walk():
        assert part.defects == [], part.defects
    return message


def test_every_line_ends_in_crlf_and_stays_short_and_seven_bit():
    data = compose(parts(text="é" * 300 + "\n" + "x" * 2000))
    assert data.isascii()
    lines = data.split(b"\r\n")
    assert b"\n" not in b"".join(lines)
    assert max(len(line) for line in lines) <= 78


def test_text_and_html_come_back_exactly():
    text = "Grüße,\r\n\r\nwith = sign and trailing blanks   \n.starting with a dot\nFrom here\n"
    html = "<p>Grüße &amp; <b>bold</b></p>\n"
    message = parse(compose(parts(text=text, html=html)))
    assert message.get_content_type() == "multipart/alternative"
    # Lines end in CRLF on the wire; a mail client reads them as line breaks.
    body = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert body == text.replace("\r\n", "\n")
    assert message.get_body(("html",)).get_content().replace("\r\n", "\n") == html


def test_a_text_only_mail_is_a_single_part():
    message = parse(compose(parts(html=None, text="Only text")))
    assert message.get_content_type() == "text/plain"
    assert message.get_content() == "Only text"
    assert not message.is_multipart()


def test_headers_with_names_and_subjects_in_any_script():
    message = parse(
        compose(
            parts(to_name="Zoë O'Brien, Jr.", subject="Ré: ваш запрос № 5 — 完成", from_name="Desk")
        )
    )
    assert message["Subject"] == "Ré: ваш запрос № 5 — 完成"
    (to,) = message["To"].addresses
    assert (to.display_name, to.addr_spec) == ("Zoë O'Brien, Jr.", "kim@example.org")
    assert message["From"].addresses[0].display_name == "Desk"
    assert message["Reply-To"].addresses[0].addr_spec == "help@desk.example.org"


def test_a_long_subject_is_folded_and_read_back_whole():
    subject = "[INC0001234] " + " ".join(f"word{n}" for n in range(40))
    data = compose(parts(subject=subject))
    assert parse(data)["Subject"] == subject


def test_a_line_break_in_a_subject_cannot_add_a_header():
    message = parse(compose(parts(subject="Hello\r\nBcc: everyone@example.org")))
    assert message["Bcc"] is None
    assert message["Subject"] == "Hello Bcc: everyone@example.org"


def test_the_same_parts_give_the_same_bytes():
    assert compose(parts()) == compose(parts())
    assert compose(parts()) != compose(parts(message_id="<other@desk.example.org>"))


def test_automatic_mail_says_so_and_a_person_s_does_not():
    automatic = parse(compose(parts()))
    assert automatic["Auto-Submitted"] == "auto-generated"
    assert automatic["X-Auto-Response-Suppress"] == "All"
    personal = parse(compose(parts(auto_generated=False)))
    assert personal["Auto-Submitted"] is None
    assert personal["X-Auto-Response-Suppress"] is None
    assert personal["Date"].datetime == WHEN


def test_a_mail_to_subscribers_offers_one_click_unsubscribe():
    url = "https://desk.example.org/reports/unsubscribe/" + "t" * 120 + "/one-click"
    message = parse(compose(parts(list_unsubscribe=url)))
    assert message["List-Unsubscribe"] == f"<{url}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    plain = parse(compose(parts()))
    assert plain["List-Unsubscribe"] is None
    assert plain["List-Unsubscribe-Post"] is None


@pytest.mark.parametrize(
    "changes",
    [
        {"to_address": "jörg@example.org"},
        {"to_address": "kim@example.org\r\nBcc: x@example.org"},
        {"message_id": "no-brackets@desk"},
        {"in_reply_to": "<two words@x>"},
        {"list_unsubscribe": "https://desk.example.org/u/x>\r\nBcc: x@example.org"},
        {"list_unsubscribe": "mailto:unsubscribe@desk.example.org"},
    ],
)
def test_values_that_cannot_go_into_a_header_are_refused(changes):
    with pytest.raises(ValueError, match="not a"):
        compose(parts(**changes))


def test_threading_keeps_the_root_and_the_latest_mails():
    root = thread_root("INC0001234", "desk.example.org")
    assert root == "<INC0001234.ticket@desk.example.org>"
    assert thread(root, []) == (root, [root])
    earlier = [f"<m{n}@d>" for n in range(15)]
    in_reply_to, references = thread(root, earlier)
    assert references == [root, *earlier[-MAX_REFERENCES:]]
    assert in_reply_to == "<m14@d>"
    in_reply_to, references = thread(root, earlier[:2], "<theirs@kim>")
    assert (in_reply_to, references) == ("<theirs@kim>", [root, "<m0@d>", "<m1@d>", "<theirs@kim>"])


def test_the_number_token_is_added_once():
    assert with_number("Received", "INC0001234") == "[INC0001234] Received"
    assert with_number("Re: [inc0001234] Received", "INC0001234") == "Re: [inc0001234] Received"
    assert with_number("", "INC0001234") == "[INC0001234]"
    # A summary that starts with the number gets the token instead, not the number twice.
    assert with_number("INC0001234 received: VPN down", "INC0001234") == (
        "[INC0001234] received: VPN down"
    )
    assert with_number("INC00012345 is another ticket", "INC0001234").count("INC") == 2
