"""Polling the IMAP mailboxes: each waiting message is received and committed, then moved to
the mailbox's processed folder. A message whose commit failed stays in the inbox for the next
poll (receiving is idempotent by Message-ID, so a message received but not moved is simply
"already received" next time); a mailbox that cannot be reached gets ``last_error`` and the
others go on."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from sqlalchemy import select

from app.extensions import db
from app.mail import imap
from app.mail.incoming import intake
from app.mail.incoming.models import Mailbox
from app.timeutils import utc_now


def settings_of(mailbox: Mailbox) -> imap.ImapSettings:
    return imap.ImapSettings(
        host=mailbox.imap_host or "",
        port=mailbox.imap_port,
        security=imap.Security(mailbox.imap_security.value),
        username=mailbox.imap_username or "",
        password=mailbox.imap_password or "",
        folder=mailbox.imap_folder,
        processed_folder=mailbox.processed_folder,
    )


def poll(mailbox: Mailbox) -> str:
    """Receive what waits in ``mailbox``; returns a line for the log.

    :raise sqlalchemy.exc.OperationalError: the database is down (the message that was being
        received stays in the inbox).
    """
    mailbox_id, name = mailbox.id, mailbox.name
    counts: dict[str, int] = {}
    error: str | None = None
    try:
        for fetched in imap.fetch(settings_of(mailbox)):
            outcome = intake.take(fetched.raw, db.session.get(Mailbox, mailbox_id))
            fetched.done()  # only once the message is committed
            kind = "quarantined" if outcome.quarantined else outcome.action
            counts[kind] = counts.get(kind, 0) + 1
    except imap.MailboxUnavailable as unavailable:
        error = str(unavailable)[:2000] or type(unavailable).__name__
    box = db.session.get(Mailbox, mailbox_id)
    if box is not None:
        box.last_error, box.last_polled_at = error, utc_now()
        db.session.commit()
    done = ", ".join(f"{n} {k}" for k, n in sorted(counts.items())) or "nothing new"
    return f"{name}: {done}" + (f"; unavailable: {error}" if error else "")


def poll_all(name: str | None = None, *, due_only: bool = False) -> Iterator[str]:
    """Poll every active IMAP mailbox, or the one called ``name``; ``due_only``: only those
    whose ``poll_seconds`` have passed since their last poll.

    :raise LookupError: no mailbox is called ``name``, or it has no IMAP server.
    """
    query = select(Mailbox).where(Mailbox.active.is_(True), Mailbox.imap_host.is_not(None))
    if name:
        named = intake.mailbox_named(name)
        if named is None or not named.polled:
            raise LookupError(f"the mailbox {name!r} has no IMAP server: the pipe feeds it")
        query = select(Mailbox).where(Mailbox.id == named.id)
    now = utc_now()
    due = [
        m.id
        for m in db.session.scalars(query.order_by(Mailbox.name))
        if not due_only
        or m.last_polled_at is None
        or now - m.last_polled_at >= timedelta(seconds=m.poll_seconds)
    ]
    for mailbox_id in due:
        mailbox = db.session.get(Mailbox, mailbox_id)
        if mailbox is not None:
            yield poll(mailbox)


def next_poll_in() -> float:
    """Seconds until the next poll round: the shortest interval of the active mailboxes, at
    least 10 s (each mailbox is polled when its own interval has passed)."""
    intervals = db.session.scalars(
        select(Mailbox.poll_seconds).where(Mailbox.active.is_(True), Mailbox.imap_host.is_not(None))
    ).all()
    db.session.rollback()  # hold no transaction open while sleeping
    return float(max(min(intervals, default=60), 10))
