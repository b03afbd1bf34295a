"""The daily digest: group notifications wait for it instead of a mail each; one digest per
person per day, however often the command runs (both databases)."""

from __future__ import annotations

from datetime import UTC, timedelta

from app.incidents import services
from app.notifications.digest import send_digests
from app.notifications.models import Digest, MailState
from app.timeutils import to_zone, utc_now


def new_ticket(db, desk, title: str) -> None:
    services.open_incident(
        caller=desk.caller,
        opened_by=desk.caller,
        short_description=title,
        assignment_group=desk.group,
    )
    db.session.commit()


def test_the_digest_goes_once_a_day_with_what_was_not_mailed(app, db, client, desk, sent):
    client.login(desk.colleague.username)
    on = ["new_in_queue.in_app", "new_in_queue.digest"]
    assert client.post("/notifications/preferences", {"on": on}).status_code == 302
    new_ticket(db, desk, "Scanner offline")
    new_ticket(db, desk, "Badge reader beeps")
    waiting = [n for n in sent(desk.colleague, rows=True) if n.mail == MailState.DIGEST]
    assert len(waiting) == 2
    now = utc_now()
    assert send_digests(now) == 1
    db.session.commit()
    for note in waiting:
        db.session.refresh(note)
        assert note.mail == MailState.DIGESTED
    assert db.session.query(Digest).filter_by(user_id=desk.colleague.id).one().count == 2
    from app.mail.outgoing.models import OutboundMail

    [mail] = db.session.query(OutboundMail).filter_by(kind="digest").all()
    assert mail.recipient_id == desk.colleague.id
    assert "Scanner offline" in mail.text_body
    assert "Badge reader beeps" in mail.text_body
    new_ticket(db, desk, "Projector flickers")
    # Later the same day in the desk's zone (a run a few minutes before midnight must not
    # step into tomorrow).
    local = to_zone(now, app.config["DESKGRAPH_TIMEZONE"])
    end_of_day = local.replace(hour=23, minute=59, second=59, microsecond=999_999)
    later = min(now + timedelta(minutes=5), end_of_day.astimezone(UTC))
    assert later > now
    assert send_digests(later) == 0  # once a day
    db.session.commit()
    assert send_digests(now + timedelta(days=1)) == 1  # tomorrow: the one left
    db.session.commit()


def test_without_the_digest_group_notifications_are_mailed_one_by_one(db, desk, sent):
    new_ticket(db, desk, "Scanner offline")
    assert sent(desk.colleague, rows=True)[-1].mail == MailState.QUEUED
    assert send_digests() == 0


def test_the_digest_lists_each_notification_with_its_link(app, db, client, desk, sent):
    from app.notifications import mailing

    client.login(desk.colleague.username)
    client.post("/notifications/preferences", {"on": ["new_in_queue.digest"]})
    new_ticket(db, desk, "Scanner offline")
    notes = [n for n in sent(desk.colleague, rows=True) if n.mail == MailState.DIGEST]
    text = mailing.mail_template(
        "notifications/mail/digest.txt",
        recipient=desk.colleague,
        notes=notes,
        rows=[(n, mailing.link(n)) for n in notes],
        zone="UTC",
        preferences_link="http://localhost:5000/notifications/preferences",
    )
    assert "1 notification for your groups" in text
    assert "New in Service Desk:" in text
    assert f"http://localhost:5000/incidents/{notes[0].ticket.number}" in text


def test_the_digest_command_sends_and_says_how_many(app, db, client, desk):
    client.login(desk.colleague.username)
    client.post("/notifications/preferences", {"on": ["new_in_queue.digest"]})
    new_ticket(db, desk, "Scanner offline")
    runner = app.test_cli_runner()
    first = runner.invoke(args=["notifications", "digest"])
    assert first.exit_code == 0, first.output
    assert first.output.strip() == "1 digest(s) sent."
    again = runner.invoke(args=["notifications", "digest"])
    assert again.output.strip() == "0 digest(s) sent."
