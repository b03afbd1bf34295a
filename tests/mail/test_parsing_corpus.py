"""The parsers over the 120 real messages in ``../shared/data/email/`` (CPython's email tests,
django-helpdesk's, flanker's and mail-parser's fixtures): none raises anything but
``Unreadable``, only the truly unreadable ones are, the bounces are found with their addresses,
the complaints and auto-replies are flagged, and the text and attachments people need are there.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app.mail.parsing.automated import automated_reason
from app.mail.parsing.bounces import bounce_of
from app.mail.parsing.message import Unreadable, parse

DATA = Path(
    os.environ.get(
        "DESKGRAPH_EMAIL_DATA", Path(__file__).resolve().parents[3] / "shared/data/email"
    )
)
FILES = sorted(path.relative_to(DATA).as_posix() for path in DATA.rglob("*") if path.is_file())

NO_FROM = "no From header"
UNREADABLE = {
    # CPython's test fragments: a MIME part or a body alone, no sender to answer.
    "cpython-test_email/msg_11.txt": NO_FROM,
    "cpython-test_email/msg_18.txt": NO_FROM,
    "cpython-test_email/msg_19.txt": "no message headers: not an RFC 5322 message",
    "cpython-test_email/msg_37.txt": NO_FROM,
    "cpython-test_email/msg_38.txt": NO_FROM,
    "cpython-test_email/msg_39.txt": NO_FROM,
    "cpython-test_email/msg_40.txt": NO_FROM,
    "flanker/attached-pdf.eml": NO_FROM,
    "flanker/bounce/delayed-broken.eml": NO_FROM,  # bounce_of still reads it (below)
    "mail-parser/mail_outlook_1": "an Outlook .msg file, not an RFC 5322 message",
}

# flanker's bounces: (failed addresses, permanent, Message-ID of the mail that bounced)
BOUNCES = {
    "flanker/bounce/broken-mime.eml": (["info@example.net"], True, None),
    "flanker/bounce/delayed-broken.eml": (["demo@example.com"], False, None),
    "flanker/bounce/delayed.eml": (["foo@example.com"], False, None),
    "flanker/bounce/gmail-invalid-address.eml": (
        ["awfawfawfawfawfaw@someserverhere.com"],
        True,
        "CAKsfaBUUGqVZiaMrmH3TRPfq1odQPtM7Ey5YW1SgyJJRHtAjgw@mail.gmail.com",
    ),
    "flanker/bounce/gmail-no-dns.eml": (["user@example.comm"], True, None),
    "flanker/bounce/mailbox-full.eml": (["user@aol.com"], True, "4E326A95.3010907@example.com"),
    "flanker/bounce/no-mx.eml": (
        ["user@example.com"],
        False,
        "19E44CA63F984902B7D654F8FF40F89D@bo",
    ),
    "flanker/bounce/office365.eml": (
        ["noname@example.com"],
        True,
        "20171013111011.20866.254C2F3A4D7AA526@ninomail.com",
    ),
    "flanker/bounce/zed.eml": (
        ["asdfasdfasdfasdfasdfasdfewrqertrtyrthsfgdfgadfqeadvxzvz@gmail.com"],
        True,
        "20090708054735.GC7578@example.com",
    ),
}
# Bounces outside flanker's folder: CPython's and mail-parser's delivery failures.
OTHER_BOUNCES = {
    "cpython-test_email/msg_16.txt": (["jangel1@cougar.noc.ucla.edu"], True),
    "cpython-test_email/msg_25.txt": (["scoffman@wellpartner.com"], True),
    "cpython-test_email/msg_43.txt": (None, True),  # eleven masked recipients at dot.ca.gov
    "mail-parser/mail_malformed_2": (["abh@netpar.com.br"], False),  # 4.2.2 mailbox full
}


def read(name: str) -> bytes:
    return (DATA / name).read_bytes()


def test_the_corpus_is_all_there():
    if not DATA.is_dir():
        pytest.fail(f"the shared email test data is missing: {DATA}", pytrace=False)
    assert len(FILES) == 120
    assert set(UNREADABLE) <= set(FILES)
    assert set(BOUNCES) == {name for name in FILES if name.startswith("flanker/bounce/")}


@pytest.mark.parametrize("name", FILES)
def test_every_message_parses_or_is_unreadable_with_its_reason(name):
    raw = read(name)
    if name in UNREADABLE:
        with pytest.raises(Unreadable) as refused:
            parse(raw)
        assert refused.value.reason == UNREADABLE[name]
        return
    mail = parse(raw)
    assert mail.size == len(raw)
    assert mail.text == mail.text.strip()
    assert bool(mail.reply) == bool(mail.text)  # never an empty reply for a text
    for part in mail.attachments:
        assert part.filename
        assert not {"/", "\\"} & set(part.filename)
    automated_reason(mail)  # never raises


@pytest.mark.parametrize("name", FILES)
def test_bounces_are_found_and_nothing_else_is_one(name):
    found = bounce_of(read(name))
    if name in BOUNCES:
        addresses, permanent, original = BOUNCES[name]
        assert found is not None
        assert (found.addresses, found.permanent) == (addresses, permanent)
        assert found.original_message_id == original
        assert found.reason
    elif name in OTHER_BOUNCES:
        expected, permanent = OTHER_BOUNCES[name]
        assert found is not None
        assert found.permanent is permanent
        if expected is None:
            assert len(found.addresses) == 11
            assert all(address.endswith("@dot.ca.gov") for address in found.addresses)
        else:
            assert found.addresses == expected
    else:
        assert found is None


@pytest.mark.parametrize("name", sorted(set(BOUNCES) - set(UNREADABLE)))
def test_a_parsed_bounce_gives_the_same_bounce_and_is_automated(name):
    mail = parse(read(name))
    assert bounce_of(mail) == bounce_of(read(name))
    assert automated_reason(mail) is not None


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("flanker/complaints/aol.eml", "Precedence: list"),
        ("flanker/complaints/yahoo.eml", "a report (multipart/report)"),
        ("flanker/disposition-notification.eml", "a report (multipart/report)"),
        ("flanker/bounce/zed.eml", "Auto-Submitted: auto-replied"),
        ("flanker/bounce/gmail-no-dns.eml", "a null return path (<>)"),
        ("flanker/bounce/broken-mime.eml", "sent by postmaster@example.com"),
        ("mail-parser/mail_test_16", "Precedence: junk"),
        ("mail-parser/mail_test_13", "List-Id: 3f21937f0f636c8cec1db30bfmc list"),
        ("cpython-test_email/msg_25.txt", "Auto-Submitted: auto-generated (failure)"),
    ],
)
def test_complaints_reports_and_auto_replies_are_flagged(name, reason):
    found = automated_reason(parse(read(name)))
    assert found is not None
    assert found.startswith(reason)


@pytest.mark.parametrize(
    "name",
    ["django-helpdesk/quoted_printable.eml", "flanker/iphone.eml", "mail-parser/mail_test_7"],
)
def test_a_person_s_mail_is_not_flagged(name):
    assert automated_reason(parse(read(name))) is None


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("mail-parser/mail_test_9", "http://go2buy.com.cn/"),
        ("flanker/long-links.eml", "http://www.longurlmaker.com/view/?id=UAOJNVKBMQUG"),
        ("mail-parser/mail_test_6", "Профиль\n\nСообщения"),
        ("mail-parser/mail_test_17", "Test"),  # a blank plain part beside the HTML one
    ],
)
def test_html_only_mail_gives_text(name, words):
    mail = parse(read(name))
    assert words in mail.text
    assert "<" not in mail.text.replace("<>", "")


def test_inline_images_of_html_mail_keep_their_content_ids():
    mail = parse(read("mail-parser/mail_test_6"))
    images = [part for part in mail.attachments if part.content_type == "image/png"]
    assert len(images) == 4
    assert all(part.inline and part.content_id for part in images)
    assert images[1].data.startswith(b"\x89PNG")


def test_a_pgp_signed_mail_keeps_its_text_and_signature():
    mail = parse(read("django-helpdesk/pgp.eml"))
    assert mail.text.startswith("hi, thanks for looking into this :)")
    assert [(part.filename, part.content_type) for part in mail.attachments] == [
        ("signature.asc", "application/pgp-signature")
    ]
    assert mail.attachments[0].data.startswith(b"-----BEGIN PGP SIGNATURE-----")


def test_an_smime_signed_mail_keeps_its_signed_part_and_signature():
    mail = parse(read("flanker/signed.eml"))
    assert [part.filename for part in mail.attachments] == ["attachment-1.bin", "smime.p7s"]
    assert mail.attachments[0].data.decode() == "a pöstal sign of our times"
    assert mail.attachments[1].content_type == "application/x-pkcs7-signature"


def test_an_attachment_with_a_blank_body_is_kept():
    mail = parse(read("django-helpdesk/blank-body-with-attachment.eml"))
    assert mail.text == mail.reply == ""
    assert [part.filename for part in mail.attachments] == ["baf"]
    assert mail.attachments[0].data.strip()


def test_attachments_of_an_outlook_reply_and_a_forward_are_kept():
    mail = parse(read("mail-parser/mail_test_10"))
    names = [part.filename for part in mail.attachments]
    assert "Move To Eight ZWEP6227F.pdf" in names
    pdf = mail.attachments[names.index("Move To Eight ZWEP6227F.pdf")]
    assert pdf.data.startswith(b"%PDF")


def test_an_enclosed_message_becomes_an_eml_attachment_that_parses():
    mail = parse(read("flanker/bounce/zed.eml"))
    [enclosed] = [part for part in mail.attachments if part.content_type == "message/rfc822"]
    assert enclosed.filename == "test bounce.eml"
    assert parse(enclosed.data).message_id == "20090708054735.GC7578@example.com"


def test_a_reply_with_history_keeps_only_the_new_part():
    mail = parse(read("django-helpdesk/utf-nondecodable.eml"))
    assert len(mail.reply) < len(mail.text)
    assert mail.text.startswith(mail.reply)


def test_every_charset_of_the_corpus_reads_as_text():
    mail = parse(read("django-helpdesk/quoted_printable.eml"))
    assert mail.subject == "Český test"
    assert "\ufffd" not in mail.text
    russian = parse(read("flanker/bilingual-simple.eml"))
    assert "Как ты поживаешь?" in russian.subject


def test_a_bounce_keeps_its_delivery_report_as_text():
    mail = parse(read("flanker/bounce/zed.eml"))
    [report] = [part for part in mail.attachments if part.content_type == "message/delivery-status"]
    assert report.filename == "attachment-1.txt"
    assert b"Reporting-MTA: dns; mail.example.com" in report.data
    assert b"Status: 5.1.1" in report.data
