"""Polling the IMAP mailboxes: each waiting message is received and committed, then moved to
the mailbox's processed folder. A message whose commit failed stays in the inbox for the next
poll (receiving is idempotent by Message-ID, so a message received but not moved is simply
"already received" next time); a mailbox that cannot be reached gets ``last_error`` and the
others go on."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from app.extensions import db
from app.mail import imap
from app.mail.incoming import intake
from app.mail.incoming.models import Mailbox, Security
from app.timeutils import utc_now

log = logging.getLogger(__name__)
DEFAULT_PORTS = {Security.SSL: 993, Security.STARTTLS: 143, Security.NONE: 143}


def settings_of(mailbox: Mailbox) -> imap.ImapSettings:
    security = Security(mailbox.imap_security)
    return imap.ImapSettings(
        host=mailbox.imap_host or "",
        port=mailbox.imap_port or DEFAULT_PORTS[security],
        security=security.value,
        username=mailbox.imap_username or "",
        password=mailbox.imap_password or "",
        folder=mailbox.imap_folder,
        processed_folder=mailbox.processed_folder,
    )


def poll(mailbox: Mailbox) -> str:
    """Receive what waits in ``mailbox``; returns a line for the log."""
    mailbox_id, name = mailbox.id, mailbox.name
    settings = settings_of(mailbox)
    counts: dict[str, int] = {}
    try:
        with imap.connect(settings) as connection:
            for uid, raw in connection.fetch():
                box = db.session.get(Mailbox, mailbox_id)
                try:
                    outcome = intake.take(raw, box)
                except OperationalError:
                    db.session.rollback()
                    raise
                connection.done(uid)
                kind = "quarantined" if outcome.quarantined else outcome.action
                counts[kind] = counts.get(kind, 0) + 1
    except imap.MailboxUnavailable as error:
        box = db.session.get(Mailbox, mailbox_id)
        if box is not None:
            box.last_error, box.last_polled_at = str(error)[:2000], utc_now()
            db.session.commit()
        return f"{name}: unavailable: {error}"
    box = db.session.get(Mailbox, mailbox_id)
    if box is not None:
        box.last_error, box.last_polled_at = None, utc_now()
        db.session.commit()
    done = ", ".join(f"{n} {k}" for k, n in sorted(counts.items())) or "nothing new"
    return f"{name}: {done}"


def poll_all(name: str | None = None) -> Iterator[str]:
    """Poll every active IMAP mailbox (or the one called ``name``)."""
    query = select(Mailbox.id).where(Mailbox.active.is_(True), Mailbox.imap_host.is_not(None))
    if name:
        query = select(Mailbox.id).where(Mailbox.name == name)
    for mailbox_id in list(db.session.scalars(query.order_by(Mailbox.name))):
        mailbox = db.session.get(Mailbox, mailbox_id)
        if mailbox is not None:
            yield poll(mailbox)


def next_poll_in() -> float:
    """Seconds until a mailbox is due again (the shortest poll interval, at least 10 s)."""
    intervals = db.session.scalars(
        select(Mailbox.poll_seconds).where(
            Mailbox.active.is_(True), Mailbox.imap_host.is_not(None)
        )
    ).all()
    return float(max(min(intervals, default=60), 10))
