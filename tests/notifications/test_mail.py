"""What a notification mail says: the reply's text, the recipient's time zone, absolute links
to the ticket, the resolved mail's confirm / reopen links; and who gets no mail (both
databases)."""

from __future__ import annotations

from datetime import UTC, datetime

from app.incidents import services
from app.incidents.workflow import State, Transition
from app.notifications import mailing
from app.notifications.models import MailState

AT = datetime(2026, 12, 6, 15, 30, tzinfo=UTC)


def test_a_public_reply_mail_carries_the_text_in_the_callers_zone(app, db, desk, sent):
    services.comment(
        desk.incident, author=desk.agent, body="Open tray 2 & pull gently.", public=True, now=AT
    )
    db.session.commit()
    note = sent(desk.caller, rows=True)[-1]
    assert note.mail == MailState.QUEUED
    mail = mailing.render(note)
    assert mail.subject == (
        f"{desk.agent.display_name} replied on {desk.incident.number}: Printer jams on every page"
    )
    assert "Open tray 2 & pull gently." in mail.text
    assert "Open tray 2 &amp; pull gently." in mail.html  # escaped in HTML, never raw
    assert "6 Dec 2026 10:30 EST" in mail.text  # New York, the caller's zone
    link = f"http://localhost:5000/incidents/{desk.incident.number}"
    assert link in mail.text
    assert f'href="{link}"' in mail.html
    assert "http://localhost:5000/notifications/preferences" in mail.text


def test_the_resolved_mail_offers_to_confirm_or_reopen(db, desk, sent):
    resolve = Transition(
        State.RESOLVED, resolution_code="solved_permanently", resolution_notes="New roller."
    )
    services.change_state(desk.incident, resolve, actor=desk.agent, now=AT)
    db.session.commit()
    notes = [n for n in sent(desk.caller, rows=True) if n.kind == "resolved"]
    mail = mailing.render(notes[-1])
    assert "Resolution: New roller." in mail.text
    assert f"/incidents/{desk.incident.number}#resolved-title" in mail.text
    assert "Confirm it is solved" in mail.html
    assert "reopen the ticket" in mail.html


def test_times_follow_the_desk_zone_for_a_person_without_one(app, db, desk, sent, make_user):
    from app.tickets import services as tickets

    watcher = make_user(email="w@example.org")  # no zone of their own: the desk's (UTC)
    tickets.watch(desk.incident, watcher)
    db.session.commit()
    services.comment(desk.incident, author=desk.agent, body="Done.", public=True, now=AT)
    db.session.commit()
    assert "6 Dec 2026 15:30 UTC" in mailing.render(sent(watcher, rows=True)[-1]).text


def test_a_person_without_an_address_is_told_in_the_app_only(db, desk, sent, make_user):
    from app.tickets import services as tickets

    watcher = make_user()  # no e-mail address
    tickets.watch(desk.incident, watcher)
    db.session.commit()
    services.comment(desk.incident, author=desk.agent, body="Done.", public=True)
    db.session.commit()
    note = sent(watcher, rows=True)[-1]
    assert note.in_app
    assert note.mail == MailState.NO_ADDRESS


def test_a_work_note_is_no_mail_by_default(db, desk, sent):
    services.comment(desk.incident, author=desk.colleague, body="Internal.", public=False)
    db.session.commit()
    note = sent(desk.agent, rows=True)[-1]
    assert note.kind == "work_note"
    assert note.mail == MailState.NONE


def test_the_mail_reaches_a_real_smtp_server_threaded_and_automatic(db, desk, sent, sending):
    from app.mail.outgoing.models import MailState as Sent
    from app.mail.outgoing.models import OutboundMail

    services.comment(desk.incident, author=desk.agent, body="We replaced the roller.", public=True)
    db.session.commit()
    note = sent(desk.caller, rows=True)[-1]
    row = db.session.query(OutboundMail).filter_by(notification_id=note.id).one()
    assert row.state == Sent.SENT
    assert row.recipient_id == desk.caller.id
    [message] = [
        m for m in sending.messages() if m["To"].addresses[0].addr_spec == desk.caller.email
    ]
    number = desk.incident.number
    # (stripped: the stdlib folds a long subject before its first word, see the report)
    assert (
        message["Subject"].strip()
        == f"[{number}] {desk.agent.display_name} replied on {number}: Printer jams on every page"
    )
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["X-Auto-Response-Suppress"] == "All"
    assert message["In-Reply-To"]  # threaded with the ticket's earlier mails
    assert "We replaced the roller." in message.get_body(("plain",)).get_content()
    assert "We replaced the roller." in message.get_body(("html",)).get_content()


def test_a_work_note_mail_never_reaches_an_employee(db, desk, sent, sending, make_user):
    from app.notifications.models import KindSetting
    from app.tickets import services as tickets

    db.session.merge(
        KindSetting(kind="work_note", enabled=True, mandatory=True, mail=True, in_app=True)
    )
    employee = make_user(email="nosy@example.org")
    tickets.watch(desk.incident, employee)
    db.session.commit()
    services.comment(desk.incident, author=desk.colleague, body="Vendor case 4411.", public=False)
    db.session.commit()
    recipients = [m["To"].addresses[0].addr_spec for m in sending.messages()]
    assert "agent@example.org" in recipients  # staff: the assignee
    assert "nosy@example.org" not in recipients
    assert "caller@example.org" not in recipients
    assert not any(
        "4411" in m.get_body(("plain",)).get_content()
        for m in sending.messages()
        if m["To"].addresses[0].addr_spec != "agent@example.org"
    )
