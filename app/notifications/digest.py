"""The daily digest: one mail per person who chose it, with the group notifications not yet
mailed. Once a day per person: a second run the same day sends nothing (the
``notification_digests`` row of that day says it went)."""

from __future__ import annotations

from datetime import date, datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from app.auth.models import User
from app.extensions import db
from app.i18n.formats import day_text
from app.i18n.locale import in_language_of
from app.mail.outgoing.services import queue_mail
from app.notifications import mailing
from app.notifications.models import Digest, MailState, Notification
from app.timeutils import to_zone, utc_now


def send_digests(now: datetime | None = None) -> int:
    """Send today's digests (the desk's day); returns how many mails were queued."""
    now = now or utc_now()
    local = to_zone(now, current_app.config["DESKGRAPH_TIMEZONE"])
    assert local is not None
    today = local.date()
    waiting = list(
        db.session.scalars(
            select(Notification)
            .where(Notification.mail == MailState.DIGEST, Notification.created_at <= now)
            .order_by(Notification.recipient_id, Notification.id)
        )
    )
    by_person: dict[int, list[Notification]] = {}
    for note in waiting:
        by_person.setdefault(note.recipient_id, []).append(note)
    done = set(
        db.session.scalars(
            select(Digest.user_id).where(Digest.day == today, Digest.user_id.in_(by_person))
        )
    )
    sent = 0
    for user_id, notes in by_person.items():
        if user_id in done:
            continue
        user = db.session.get(User, user_id)
        if user is None or not user.email or not user.is_active:
            continue
        _send(user, notes, today, now)
        sent += 1
    db.session.flush()
    return sent


def _send(user: User, notes: list[Notification], today: date, now: datetime) -> None:
    assert user.email is not None  # people without an address are left out by the caller
    zone = user.timezone or current_app.config["DESKGRAPH_TIMEZONE"]
    rows = [(note, mailing.link(note)) for note in notes]
    context = {
        "recipient": user,
        "notes": notes,
        "rows": rows,
        "zone": zone,
        "preferences_link": mailing.absolute_url("notifications.preferences"),
    }
    with in_language_of(user):
        subject = _(
            "Your Deskgraph digest for %(day)s: %(count)s new",
            day=day_text(today),
            count=len(notes),
        )
        text = mailing.plain(mailing.mail_template("notifications/mail/digest.txt", **context))
        html = mailing.mail_template("notifications/mail/digest.html", **context)
    queue_mail(
        to_address=user.email,
        subject=subject,
        text=text,
        html=html,
        recipient=user,
        kind="digest",
    )
    for note in notes:
        note.mail = MailState.DIGESTED
    db.session.add(Digest(user_id=user.id, day=today, count=len(notes), sent_at=now))
