"""Reading one message: headers, text, the new part of a reply, attachments, refusals."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage

import pytest

from app.mail.parsing.message import OLE2_MAGIC as OLE2
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


def build(*, body: str = "Hello", subtype: str = "plain", **headers: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = headers.pop("From", "Anna Berg <anna@example.com>")
    message["To"] = "desk@example.com"
    message["Subject"] = headers.pop("Subject", "Help")
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body, subtype=subtype)
    return message


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"", "an empty message"),
        (b"  \r\n\r\n", "an empty message"),
        (OLE2 + b"\x00" * 600, "an Outlook .msg file, not an RFC 5322 message"),
        (
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)),
            "binary data, not an RFC 5322 message",
        ),
        (b"Just some words\nwithout any header\n", "no message headers: not an RFC 5322 message"),
        (b"To: desk@example.com\r\n\r\nwho sent this?\r\n", "no From header"),
    ],
)
def test_what_cannot_be_handled_is_unreadable_with_a_clear_reason(raw, reason):
    with pytest.raises(Unreadable) as refused:
        parse(raw)
    assert refused.value.reason == reason


def test_a_message_over_the_limit_is_unreadable_with_its_size():
    raw = build(body="x" * 5000).as_bytes()
    with pytest.raises(
        Unreadable, match=f"the message is {len(raw)} bytes, over the limit of 4096"
    ):
        parse(raw, max_bytes=4096)


def test_a_three_megabyte_body_is_read_whole():
    line = "The backup job failed again on the file server, log follows. 0123456789\n"
    body = line * (3 * 2**20 // len(line))
    mail = parse(build(body=body).as_bytes())
    assert len(mail.text) == len(body.strip())
    assert mail.text.endswith("0123456789")
    assert mail.reply == mail.text  # nothing quoted: all of it is new
    assert mail.size > 3 * 2**20


def test_a_short_answer_above_three_megabytes_of_history_is_the_reply():
    history = "> The backup log, line after line. 0123456789\n" * (3 * 2**20 // 46)
    answer = (
        "Restarted it, works now.\n\nOn Thu, 3 Dec 2026 at 09:00, Desk <desk@example.com> wrote:\n"
    )
    mail = parse(build(body=answer + history).as_bytes())
    assert mail.reply == "Restarted it, works now."
    assert len(mail.text) > 3 * 2**20


def test_fifty_attachments_keep_their_names_types_and_bytes():
    message = build(body="Logs attached.")
    for number in range(50):
        message.add_attachment(
            f"log {number}\n".encode() * 10,
            maintype="application",
            subtype="octet-stream",
            filename=f"server-{number:02d}.log",
        )
    mail = parse(message.as_bytes())
    assert mail.text == "Logs attached."
    assert [part.filename for part in mail.attachments] == [
        f"server-{n:02d}.log" for n in range(50)
    ]
    assert mail.attachments[49].data == b"log 49\n" * 10
    assert not any(part.inline for part in mail.attachments)


def test_file_names_are_decoded_and_cleaned():
    raw = (
        b"From: anna@example.com\r\nSubject: files\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nSee the files.\r\n"
        b"--b\r\nContent-Type: application/pdf\r\n"
        b"Content-Disposition: attachment; filename*=utf-8''r%C3%A4kning%20maj.pdf\r\n\r\n%PDF\r\n"
        b"--b\r\nContent-Type: application/pdf\r\n"
        b'Content-Disposition: attachment; filename="=?utf-8?b?w7Z2ZXJzaWt0LnBkZg==?="\r\n'
        b"\r\n%PDF\r\n"
        b"--b\r\nContent-Type: text/plain\r\n"
        b'Content-Disposition: attachment; filename="../../etc/passwd"\r\n\r\nroot\r\n'
        b"--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment\r\n\r\n%PDF\r\n"
        b"--b--\r\n"
    )
    mail = parse(raw)
    assert [part.filename for part in mail.attachments] == [
        "räkning maj.pdf",
        "översikt.pdf",
        "passwd",
        "attachment-4.pdf",
    ]
    assert mail.text == "See the files."


def test_an_inline_image_keeps_its_content_id_and_the_html_gives_text():
    message = build(
        body="<p>See <img src='cid:shot@desk'> the <b>error</b> &amp; more</p>", subtype="html"
    )
    message.add_related(b"\x89PNG fake", maintype="image", subtype="png", cid="<shot@desk>")
    mail = parse(message.as_bytes())
    assert mail.text == "See the error & more"
    [image] = mail.attachments
    assert (image.inline, image.content_id, image.content_type) == (True, "shot@desk", "image/png")
    assert image.filename == "attachment-1.png"


def test_html_turns_into_text_without_scripts_styles_or_tags():
    html = (
        "<html><head><style>p {color: red}</style><script>alert('x')</script></head><body>"
        "<p>Dear desk,</p><div>the VPN drops<br>every hour.</div>"
        "<ul><li>Laptop: X1</li><li>OS: Windows 11</li></ul>"
        "<p>5 &lt; 6 &nbsp;&eacute;t&eacute;</p><!-- tracking --><img src=x onerror=alert(1)>"
        "<!--[if gte mso 9]><xml><o:OfficeDocumentSettings><o:PixelsPerInch>96</o:PixelsPerInch>"
        "</o:OfficeDocumentSettings></xml><![endif]-->"
        "</body></html>"
    )
    mail = parse(build(body=html, subtype="html").as_bytes())
    assert mail.text == (
        "Dear desk,\n\nthe VPN drops\nevery hour.\n\nLaptop: X1\nOS: Windows 11\n\n5 < 6 été"
    )


def test_the_plain_part_of_an_alternative_is_preferred():
    message = build(body="Plain words.")
    message.add_alternative("<p>HTML words.</p>", subtype="html")
    mail = parse(message.as_bytes())
    assert mail.text == "Plain words."
    assert mail.attachments == []


def test_an_unknown_charset_is_decoded_with_replacement():
    raw = (
        b"From: anna@example.com\r\nSubject: =?x-klingon?q?Qapla=E9?=\r\n"
        b"Content-Type: text/plain; charset=x-klingon\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        b"caf\xe9 ok\r\n"
    )
    mail = parse(raw)
    assert mail.text == "caf\ufffd ok"
    assert mail.subject.startswith("Qapla")


@pytest.mark.parametrize(
    "charset", ["iso-8859-1", "windows-1252", "koi8-r", "shift_jis", "gb2312", "utf-16"]
)
def test_charsets_python_knows_are_decoded(charset):
    words = {"koi8-r": "Привет", "shift_jis": "こんにちは", "gb2312": "你好"}.get(charset, "Grüße")
    message = EmailMessage()
    message["From"] = "anna@example.com"
    message.set_content(words.encode(charset), maintype="text", subtype="plain")
    message.replace_header("Content-Type", f"text/plain; charset={charset}")
    assert parse(message.as_bytes()).text == words


def test_malformed_headers_do_not_stop_the_message():
    raw = (
        b'From: "Anna (unbalanced <anna@example.com\r\n'
        b"To: desk@example.com,, <broken@,  bo@example.com\r\n"
        b"Subject: =?utf-8?b?not base64!!?= and \xe5\xe4\xf6 raw\r\n"
        b"Date: yesterday-ish\r\n"
        b"Message-ID: no brackets here\r\n"
        b"References: <a@x> garbage <b@y>\r\n"
        b'Content-Type: text/plain; charset="utf-8\r\n'
        b"X-Weird: \x00\x01 control\r\n"
        b"\r\n"
        b"Body still here.\r\n"
    )
    mail = parse(raw)
    assert mail.text == "Body still here."
    assert mail.from_address == "anna@example.com"
    assert "bo@example.com" in mail.to
    assert mail.date is None
    assert mail.message_id == "no"
    assert mail.references == ["a@x", "b@y"]
    assert "raw" in mail.subject


def test_a_header_with_an_invalid_address_list_falls_back_to_compat32():
    raw = b'From: anna@example.com\r\nTo: "a" <a@[bad, "\r\nCc: <<<>>>\r\n\r\nHi\r\n'
    mail = parse(raw)
    assert mail.from_address == "anna@example.com"
    assert mail.text == "Hi"


def test_the_null_return_path_and_reply_to():
    mail = parse(build(Return_Path="<>", Reply_To="Team <Team@Example.com>").as_bytes())
    assert mail.return_path == ""
    assert mail.reply_to == "team@example.com"
    assert parse(build().as_bytes()).return_path is None


def test_a_date_without_zone_is_taken_as_utc():
    mail = parse(build(Date="Fri, 04 Dec 2026 10:15:00").as_bytes())
    assert mail.date == datetime(2026, 12, 4, 10, 15, tzinfo=UTC)


def test_an_enclosed_message_is_an_eml_attachment():
    inner = build(Subject="Original question", Message_ID="<orig@example.com>", body="Why?")
    outer = build(body="See below.")
    outer.add_attachment(inner)
    mail = parse(outer.as_bytes())
    [part] = mail.attachments
    assert (part.filename, part.content_type) == ("Original question.eml", "message/rfc822")
    assert parse(part.data).message_id == "orig@example.com"


def test_leading_blank_lines_before_the_headers_are_tolerated():
    mail = parse(b" " * 40 + b"\r\n" + PLAIN)
    assert mail.from_address == "anna.berg@example.com"


@pytest.mark.parametrize(
    ("text", "reply"),
    [
        (
            "Fixed, thanks!\n\nOn Thu, 3 Dec 2026 at 09:00, Desk <desk@example.com> wrote:\n"
            "> Is it fixed?",
            "Fixed, thanks!",
        ),
        (
            "Ja, det fungerar.\n\nDen 3 dec. 2026 kl. 09:00 skrev Desk <desk@example.com>:\n"
            "> Fungerar det?",
            "Ja, det fungerar.",
        ),
        (
            "Works now.\n\n-----Original Message-----\nFrom: Desk\nSent: Thursday\n"
            "Subject: x\n\nold",
            "Works now.",
        ),
        (
            "Svar här\n\nFrån: Desk <desk@example.com>\nSkickat: den 3 december 2026 09:00\n"
            "Till: Anna\nÄmne: x\n\ngammalt",
            "Svar här",
        ),
        ("Approved\n\n-- \nAnna Berg\nFinance", "Approved"),
        (
            "Steps:\n- open Outlook\n- it freezes\n\nAnna",
            "Steps:\n- open Outlook\n- it freezes\n\nAnna",
        ),
        ("> only quoted history\n> nothing new", "> only quoted history\n> nothing new"),
    ],
)
def test_the_reply_is_the_new_part_and_never_empty(text, reply):
    assert parse(build(body=text).as_bytes()).reply == reply


@pytest.mark.parametrize("charset", ["utf-8", "cp1252"])
def test_raw_8bit_headers_and_file_names_are_read(charset):
    raw = (
        "From: Åsa Öberg <asa@example.com>\r\nSubject: Skrivaren på plan 3\r\n"
        'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSe bifogad fil.\r\n"
        '--b\r\nContent-Type: application/pdf; name="räkning.pdf"\r\n'
        'Content-Disposition: attachment; filename="räkning.pdf"\r\n\r\n%PDF\r\n--b--\r\n'
    ).encode(charset)
    mail = parse(raw)
    assert (mail.subject, mail.from_name) == ("Skrivaren på plan 3", "Åsa Öberg")
    assert [part.filename for part in mail.attachments] == ["räkning.pdf"]


def test_html_links_keep_their_web_or_mail_address():
    html = (
        '<p>See <a href="https://status.example/log?a=1&amp;b=2">the <b>log</b></a>, '
        '<a href="https://status.example">https://status.example</a>, '
        '<a href="mailto:bo@example.com">Bo</a>, <a href="javascript:alert(1)">this</a>, '
        '<a href="https://track.example/px"><img src="x"></a>the end, '
        f'<a href="https://track.example/?id={"7" * 400}">unsubscribe</a></p>'
    )
    mail = parse(build(body=html, subtype="html").as_bytes())
    assert mail.text == (
        "See the log (https://status.example/log?a=1&b=2), https://status.example, "
        "Bo (bo@example.com), this, the end, unsubscribe"
    )


def test_too_many_or_too_deeply_nested_parts_are_unreadable():
    many = (
        "From: a@example.com\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
        + "--b\r\nContent-Type: text/plain\r\n\r\nx\r\n" * 2001
        + "--b--\r\n"
    )
    with pytest.raises(Unreadable, match="more than 2000 MIME parts"):
        parse(many.encode())
    deep = (
        "From: a@example.com\r\n"
        + "Content-Type: message/rfc822\r\n\r\nFrom: b@example.com\r\n" * 2000
    )
    with pytest.raises(Unreadable, match="MIME parts nested too deeply"):
        parse(deep.encode() + b"\r\nhi\r\n")
