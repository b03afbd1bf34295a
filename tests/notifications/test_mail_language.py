"""Each person's mail is in their own language, whoever caused it and whatever the language of
the page that caused it: the subject, the body and the dates (both databases)."""

from __future__ import annotations

from datetime import UTC, datetime

from app.incidents import services
from app.mail.outgoing.models import OutboundMail
from app.notifications.digest import send_digests
from app.tickets import services as tickets
from tests.conftest import Client

AT = datetime(2026, 12, 6, 15, 30, tzinfo=UTC)


def mail_to(db, user, kind: str = "notification") -> OutboundMail:
    return db.session.query(OutboundMail).filter_by(recipient_id=user.id, kind=kind).one()


def test_one_reply_mails_the_swedish_caller_in_swedish_and_a_watcher_in_english(
    db, desk, make_user
):
    desk.caller.language = "sv"
    watcher = make_user(email="watcher@example.org", timezone="UTC")
    tickets.watch(desk.incident, watcher)
    db.session.commit()
    services.comment(desk.incident, author=desk.agent, body="Öppna fack 2.", public=True, now=AT)
    db.session.commit()
    number, name = desk.incident.number, desk.agent.display_name

    swedish = mail_to(db, desk.caller)
    assert swedish.subject == f"[{number}] {name} svarade i {number}: Printer jams on every page"
    assert f"Hej {desk.caller.display_name}!" in swedish.text_body
    assert "6 dec. 2026 10:30" in swedish.text_body  # Swedish month, the caller's zone
    assert f"Öppna det: http://localhost:5000/incidents/{number}" in swedish.text_body
    assert "Välj vad du får veta" in swedish.html_body
    assert '<html lang="sv">' in swedish.html_body

    english = mail_to(db, watcher)
    assert english.subject == f"[{number}] {name} replied on {number}: Printer jams on every page"
    assert f"Hello {watcher.display_name}," in english.text_body
    assert "6 Dec 2026 15:30 UTC" in english.text_body
    assert "Choose what you are told" in english.html_body


def test_a_swedish_page_does_not_make_an_english_readers_mail_swedish(app, db, desk):
    from flask_babel import force_locale

    with app.test_request_context(headers={"Accept-Language": "sv"}), force_locale("sv"):
        services.comment(desk.incident, author=desk.agent, body="Done.", public=True, now=AT)
        db.session.commit()
    mail = mail_to(db, desk.caller)
    assert f"{desk.agent.display_name} replied on" in mail.subject
    assert "Hello" in mail.text_body


def test_the_stored_line_stays_english_and_the_list_shows_the_readers_language(
    db, client, desk, sent
):
    desk.caller.language = "sv"
    db.session.commit()
    services.comment(desk.incident, author=desk.agent, body="Done.", public=True, now=AT)
    db.session.commit()
    note = sent(desk.caller, rows=True)[-1]
    assert " replied on " in note.summary  # what the API and the audit keep
    client.login(desk.caller.username)
    page = client.get("/notifications").get_data(as_text=True)
    assert f"svarade i {desk.incident.number}" in page
    assert "Aviseringar" in page


def test_the_digest_is_in_each_readers_language(app, db, desk):
    desk.colleague.language = "sv"
    db.session.commit()
    for person in (desk.agent, desk.colleague):
        client = Client(app.test_client())
        client.login(person.username)
        client.post("/notifications/preferences", {"on": ["new_in_queue.digest"]})
    services.open_incident(
        caller=desk.caller,
        opened_by=desk.caller,
        short_description="Scanner offline",
        assignment_group=desk.group,
    )
    db.session.commit()
    assert send_digests() == 2
    db.session.commit()

    swedish = mail_to(db, desk.colleague, "digest")
    assert swedish.subject.startswith("Din Deskgraph-sammanfattning för ")
    assert swedish.subject.endswith(": 1 nya")
    assert "1 avisering för dina grupper" in swedish.text_body
    assert "Nytt i Service Desk: " in swedish.text_body

    english = mail_to(db, desk.agent, "digest")
    assert english.subject.startswith("Your Deskgraph digest for ")
    assert "1 notification for your groups" in english.text_body
    assert "New in Service Desk: " in english.text_body
