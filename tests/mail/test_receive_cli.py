"""``flask mail receive``: an MTA pipes one message to it; it prints the ticket number or why
nothing was made, and exits non-zero only when the message could not be stored."""

from __future__ import annotations

from sqlalchemy import select

from app.incidents.models import Incident
from app.mail.incoming.models import Mailbox
from tests.conftest import build_app
from tests.mail.intake_mails import mail


def run(app, raw: bytes, *args: str):
    return app.test_cli_runner().invoke(args=["mail", "receive", *args], input=raw)


def test_a_new_mail_prints_the_number_of_the_incident_it_opened(app, db, make_user):
    make_user(email="kim@example.com")
    result = run(app, mail())
    number = db.session.scalar(select(Incident.number))
    assert result.exit_code == 0, result.output
    assert result.output.strip() == number


def test_an_ignored_mail_says_why_and_exits_0(app, db):
    result = run(app, mail(headers={"Auto-Submitted": "auto-replied"}))
    assert result.exit_code == 0
    assert result.output.startswith("ignored: automated mail")


def test_the_mailbox_option_applies_its_defaults(app, db, make_user):
    make_user(email="kim@example.com")
    db.session.add(Mailbox(name="hr", address="hr@example.com", category="HR"))
    db.session.commit()
    result = run(app, mail(to="hr@example.com"), "--mailbox", "hr")
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(Incident.category)) == "HR"


def test_an_unknown_mailbox_is_a_usage_error(app, db):
    result = run(app, mail(), "--mailbox", "nope")
    assert result.exit_code == 2
    assert "no mailbox named 'nope'" in result.output


def test_a_message_that_cannot_be_stored_exits_non_zero_so_the_mta_retries(tmp_path):
    """The database is unreachable (a directory where the SQLite file should be)."""
    (tmp_path / "db.sqlite3").mkdir()
    app = build_app(f"sqlite:///{tmp_path / 'db.sqlite3'}", tmp_path / "instance")
    result = run(app, mail())
    assert result.exit_code == 75
    assert "not stored, try again later" in result.output


def test_two_deliveries_of_one_message_at_once_make_one_ticket(fresh_database_url, tmp_path):
    """An MTA retrying while the first delivery still runs: whichever way the two interleave
    (the unique Message-ID refuses the loser's commit), one ticket and one "already
    received"."""
    import threading

    from app.auth.services import create_local_user
    from app.extensions import db
    from app.mail.incoming import intake
    from tests.conftest import migrate

    app = build_app(fresh_database_url, tmp_path / "instance")
    migrate(app)
    with app.app_context():
        create_local_user(username="kim", display_name="Kim", password=None, email="kim@x.org")
        db.session.commit()
    raw = mail("kim@x.org")
    start = threading.Barrier(2)
    lines: list[str] = []

    def deliver() -> None:
        with app.app_context():
            start.wait()
            lines.append(intake.take(raw, None).line())
            db.session.remove()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    with app.app_context():
        numbers = db.session.scalars(select(Incident.number)).all()
        db.session.remove()  # give the connection back before closing the pool
        db.engine.dispose()
    assert len(numbers) == 1
    assert sorted(lines) == sorted([numbers[0], "ignored: already received"])
