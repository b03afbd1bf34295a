"""``flask mail poll`` against a real Dovecot: each message is received, committed and moved
to the processed folder; a mailbox that is down gets its error and the others go on; the next
poll after it comes back catches up, and nothing is lost or received twice."""

from __future__ import annotations

from sqlalchemy import func, select

from app.incidents.models import Incident
from app.mail.incoming.models import Mailbox, Security
from tests.imap_server import PASSWORD, USER, dovecot, free_port  # noqa: F401
from tests.mail.intake_mails import mail

PROCESSED = "Deskgraph/Processed"


def imap_mailbox(db, port: int, name: str = "imap desk") -> Mailbox:
    box = Mailbox(
        name=name,
        address=f"{name.replace(' ', '')}@example.com",
        imap_host="127.0.0.1",
        imap_port=port,
        imap_security=Security.NONE,
        imap_username=USER,
        imap_password=PASSWORD,
        imap_folder="INBOX",
        processed_folder=PROCESSED,
    )
    db.session.add(box)
    db.session.commit()
    return box


def poll(app):
    result = app.test_cli_runner().invoke(args=["mail", "poll", "--once"])
    assert result.exit_code == 0, result.output
    return result.output


def count_incidents(db) -> int:
    return db.session.scalar(select(func.count()).select_from(Incident))


def test_poll_receives_each_message_and_moves_it_to_the_processed_folder(
    app,
    db,
    make_user,
    dovecot,  # noqa: F811
):
    make_user(email="kim@example.com")
    box = imap_mailbox(db, dovecot.port)
    dovecot.append(mail(subject="VPN is down"))
    dovecot.append(mail(subject="Auto reply", headers={"Auto-Submitted": "auto-replied"}))
    output = poll(app)
    assert "imap desk: 1 automated, 1 created" in output
    assert db.session.scalar(select(Incident.short_description)) == "VPN is down"
    assert dovecot.messages("INBOX") == []
    assert len(dovecot.messages(PROCESSED)) == 2  # moved, never deleted
    db.session.refresh(box)
    assert box.last_polled_at is not None
    assert box.last_error is None
    assert "nothing new" in poll(app)


def test_a_mailbox_that_is_down_gets_its_error_and_the_next_poll_catches_up(
    app,
    db,
    make_user,
    dovecot,  # noqa: F811
):
    make_user(email="kim@example.com")
    dead = imap_mailbox(db, free_port(), name="gone")  # nothing listens there
    box = imap_mailbox(db, dovecot.port)
    dovecot.append(mail(subject="First"))
    dovecot.stop()
    output = poll(app)
    assert "unavailable" in output
    assert count_incidents(db) == 0
    db.session.refresh(box)
    assert box.last_error

    dovecot.start()
    dovecot.append(mail(subject="Second"))
    output = poll(app)
    assert "imap desk: 2 created" in output  # the other mailbox's failure stops nobody
    assert "gone:" in output
    assert "unavailable" in output
    db.session.refresh(box)
    db.session.refresh(dead)
    assert box.last_error is None
    assert dead.last_error
    assert count_incidents(db) == 2
    assert "nothing new" in poll(app)
    assert count_incidents(db) == 2


def test_a_message_received_but_not_moved_is_not_received_twice(
    app,
    db,
    make_user,
    dovecot,  # noqa: F811
):
    """The commit happened but the move did not (the connection broke in between): the next
    poll finds the message again and knows it."""
    from app.mail.incoming import intake

    make_user(email="kim@example.com")
    imap_mailbox(db, dovecot.port)
    raw = mail(subject="Printer")
    dovecot.append(raw)
    intake.take(raw, None)  # as if an earlier poll stored it and died before moving it
    assert "1 duplicate" in poll(app)
    assert count_incidents(db) == 1
    assert dovecot.messages("INBOX") == []


def test_polling_a_mailbox_without_imap_server_is_a_usage_error(app, db):
    db.session.add(Mailbox(name="piped", address="piped@example.com"))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["mail", "poll", "--once", "--mailbox", "piped"])
    assert result.exit_code == 2
    assert "has no IMAP server" in result.output
