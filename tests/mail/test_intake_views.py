"""The administrators' mail-in pages: mailboxes (list, create, edit every field) and the
quarantine (reason, sender, subject; download, process again, dismiss)."""

from __future__ import annotations

import re

from sqlalchemy import select

from app.incidents.models import Incident
from app.mail.incoming import intake
from app.mail.incoming.models import InboundMessage, Mailbox, MessageState
from tests.incidents.conftest import queue  # noqa: F401  (shared builder)
from tests.mail.intake_mails import mail

FORM = {
    "name": "IT help",
    "address": "Help@Example.com",
    "active": "y",
    "assignment_group_id": "",
    "category": "",
    "impact": "2",
    "urgency": "3",
    "unknown_senders": "refuse",
    "imap_host": "imap.example.com",
    "imap_port": "993",
    "imap_security": "ssl",
    "imap_username": "help",
    "imap_password": "s3cret",
    "imap_folder": "INBOX",
    "processed_folder": "Deskgraph/Processed",
    "poll_seconds": "120",
}


def test_only_administrators_see_the_mail_pages(signed_in):
    client, _ = signed_in("agent", "employee")
    assert client.get("/mail/mailboxes").status_code == 403
    assert client.get("/mail/quarantine").status_code == 403
    assert client.post("/mail/mailboxes/new", FORM).status_code == 403


def test_an_administrator_creates_and_edits_a_mailbox(signed_in, db, queue):  # noqa: F811
    client, _ = signed_in("admin")
    group = queue("Mail desk")
    response = client.post("/mail/mailboxes/new", {**FORM, "assignment_group_id": str(group.id)})
    assert response.status_code == 302
    mailbox = db.session.scalar(select(Mailbox))
    assert (mailbox.address, mailbox.unknown_senders, mailbox.imap_password) == (
        "help@example.com",
        "refuse",
        "s3cret",
    )
    assert mailbox.assignment_group_id == group.id
    assert mailbox.poll_seconds == 120
    page = client.get("/mail/mailboxes").get_data(as_text=True)
    assert "IT help" in page
    assert "IMAP imap.example.com" in page

    edit = client.get(f"/mail/mailboxes/{mailbox.id}").get_data(as_text=True)
    assert "s3cret" not in edit  # the password is never shown
    version = re.search(r'name="version" type="hidden" value="(\d+)"', edit).group(1)
    changed = {**FORM, "name": "IT help desk", "imap_password": "", "version": version}
    assert client.post(f"/mail/mailboxes/{mailbox.id}", changed).status_code == 302
    db.session.refresh(mailbox)
    assert mailbox.name == "IT help desk"
    assert mailbox.imap_password == "s3cret"

    stale = client.post(f"/mail/mailboxes/{mailbox.id}", {**changed, "name": "Old"})
    assert stale.status_code == 409
    assert "changed by someone else" in stale.get_data(as_text=True)
    db.session.refresh(mailbox)
    assert mailbox.name == "IT help desk"


def test_a_mailbox_form_with_bad_input_says_what_is_wrong(signed_in, db):
    client, _ = signed_in("admin")
    response = client.post(
        "/mail/mailboxes/new",
        {**FORM, "address": "not an address", "imap_username": "", "poll_seconds": "1"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Number must be between 10 and 86400" in page
    assert db.session.scalar(select(Mailbox)) is None
    client.post("/mail/mailboxes/new", FORM)
    twice = client.post("/mail/mailboxes/new", {**FORM, "name": "Other"})
    assert twice.status_code == 422
    assert "Another mailbox has this address." in twice.get_data(as_text=True)


def test_the_quarantine_lists_downloads_processes_again_and_dismisses(signed_in, db, make_user):
    client, _ = signed_in("admin")
    bad = mail("kim@example.com", subject="Broken laptop")
    db.session.add(Mailbox(name="desk", address="desk@example.com", impact=9))
    db.session.commit()
    outcome = intake.take(bad, db.session.scalar(select(Mailbox)))
    assert outcome.quarantined
    auto = intake.take(mail(subject="Away", headers={"Auto-Submitted": "auto-replied"}), None)
    assert auto.ignored

    page = client.get("/mail/quarantine").get_data(as_text=True)
    assert "Broken laptop" in page
    assert "kim@example.com" in page
    assert "Away" in page
    assert "could not be processed" in page
    assert "automated mail" in page
    only = client.get("/mail/quarantine?state=ignored").get_data(as_text=True)
    assert "Away" in only
    assert "Broken laptop" not in only

    row = db.session.scalar(select(InboundMessage).where(InboundMessage.subject == "Broken laptop"))
    download = client.get(f"/mail/quarantine/{row.id}.eml")
    assert download.status_code == 200
    assert download.data == bad
    assert download.headers["Content-Type"] == "message/rfc822"

    db.session.scalar(select(Mailbox)).impact = 3  # the administrator fixed the mailbox
    make_user(email="kim@example.com")
    db.session.commit()
    again = client.post(f"/mail/quarantine/{row.id}/again")
    assert again.status_code == 302
    db.session.expire_all()
    assert db.session.get(InboundMessage, row.id).state == MessageState.PROCESSED
    assert db.session.scalar(select(Incident.short_description)) == "Broken laptop"

    ignored = db.session.scalar(select(InboundMessage).where(InboundMessage.subject == "Away"))
    assert client.post(f"/mail/quarantine/{ignored.id}/dismiss").status_code == 302
    db.session.expire_all()
    assert db.session.get(InboundMessage, ignored.id).state == MessageState.DISMISSED
    assert "Away" not in client.get("/mail/quarantine").get_data(as_text=True)
    assert client.get(f"/mail/quarantine/{ignored.id}.eml").status_code == 404
    assert client.post(f"/mail/quarantine/{ignored.id}/again").status_code == 409


def shows_in_each_language(client, db, admin, said: dict, old: str) -> str:
    """The quarantine page, read by ``admin`` in each language of ``said``, shows the reasons
    listed for it and the ``old`` reason stored as text; the Swedish page is returned."""
    pages = {}
    for language, reasons in said.items():
        admin.language = language
        db.session.commit()
        pages[language] = page = client.get("/mail/quarantine").get_data(as_text=True)
        for reason in reasons:
            assert reason in page
        assert old in page
    return pages["sv"]


def test_the_quarantine_words_its_reasons_in_the_admins_language(signed_in, db):
    """Why a message was set aside is a stored message: Swedish for a Swedish administrator,
    English for an English one; a reason stored before (plain English) shows as it is."""
    client, admin = signed_in("admin")
    intake.take(mail(subject="Away", headers={"Auto-Submitted": "auto-replied"}), None)
    intake.take(mail("mailer-daemon@example.com", subject="Daemon"), None)
    old = intake.take(mail(subject="Older", headers={"Precedence": "bulk"}), None)
    assert old.ignored == "automated mail (Precedence: bulk)"
    row = db.session.scalar(select(InboundMessage).where(InboundMessage.subject == "Older"))
    row.reason, row.reason_message = "automated mail (stored before the upgrade)", None
    db.session.commit()
    said = {
        "sv": [
            "automatiskt mejl (Auto-Submitted: auto-replied)",
            "automatiskt mejl (skickat av mailer-daemon@example.com)",
        ],
        "en": [
            "automated mail (Auto-Submitted: auto-replied)",
            "automated mail (sent by mailer-daemon@example.com)",
        ],
    }
    shows_in_each_language(client, db, admin, said, "automated mail (stored before the upgrade)")


def test_the_quarantine_words_why_a_message_is_unreadable_in_the_admins_language(signed_in, db):
    """Why a message cannot be read at all is a stored message too; a reason stored before
    (plain English) shows as it is."""
    client, admin = signed_in("admin")
    no_from = intake.take(b"To: desk@example.com\r\nSubject: hi\r\n\r\nbody\r\n", None)
    assert no_from.quarantined == "no From header"
    boundaries = b"".join(
        b'Content-Type: multipart/mixed; boundary="b%d"\r\n' % i for i in range(301)
    )
    many = intake.take(b"From: a@example.com\r\n" + boundaries + b"\r\nbody\r\n", None)
    assert many.quarantined == "more than 300 multipart containers"
    old = intake.take(b"To: desk@example.com\r\nSubject: old\r\n\r\nolder body\r\n", None)
    assert old.quarantined == "no From header"
    row = db.session.scalars(select(InboundMessage).order_by(InboundMessage.id.desc())).first()
    row.reason, row.reason_message = "no From header (stored before the upgrade)", None
    db.session.commit()
    said = {
        "sv": ["inget From-rubrikfält", "fler än 300 multipart-behållare"],
        "en": ["no From header", "more than 300 multipart containers"],
    }
    swedish = shows_in_each_language(
        client, db, admin, said, "no From header (stored before the upgrade)"
    )
    assert "more than 300" not in swedish


def test_the_quarantine_words_why_processing_failed_in_the_admins_language(signed_in, db):
    """A message whose processing failed (here a mailbox with an impact the matrix does not
    have) is quarantined with a stored reason: Swedish for a Swedish administrator, with the
    error itself as it was raised."""
    client, admin = signed_in("admin")
    db.session.add(Mailbox(name="desk", address="desk@example.com", impact=9))
    db.session.commit()
    failed = intake.take(
        mail("kim@example.com", subject="Broken laptop"), db.session.scalar(select(Mailbox))
    )
    assert failed.quarantined.startswith("could not be processed: ")
    error = failed.quarantined.removeprefix("could not be processed: ")
    said = {"sv": [f"kunde inte behandlas: {error}"], "en": [f"could not be processed: {error}"]}
    old = intake.take(b"To: desk@example.com\r\nSubject: old\r\n\r\nolder body\r\n", None)
    assert old.quarantined == "no From header"
    row = db.session.scalar(select(InboundMessage).where(InboundMessage.reason == old.quarantined))
    row.reason, row.reason_message = "could not be processed (stored before the upgrade)", None
    db.session.commit()
    swedish = shows_in_each_language(
        client, db, admin, said, "could not be processed (stored before the upgrade)"
    )
    assert f"could not be processed: {error}" not in swedish
