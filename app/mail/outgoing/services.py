"""Mail out's API for the rest of the desk: queue a mail in the caller's transaction (it is
sent by SMTP after commit, through the outbox), thread it to its ticket, and know which
addresses are the desk's own and which bounce. Services flush, never commit."""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app import audit
from app.auth.models import User
from app.errors import Invalid
from app.extensions import db
from app.mail.outgoing import delivery
from app.mail.outgoing.compose import (
    MAX_REFERENCES,
    domain_of,
    is_address,
    is_message_id,
    is_unsubscribe_url,
    new_message_id,
    one_line,
    thread,
    thread_root,
    with_number,
)
from app.mail.outgoing.models import MailAddress, MailState, OutboundMail
from app.outbox import enqueue
from app.tickets.models import Ticket


def normalise_address(address: str) -> str:
    """The form in which addresses are compared and stored: trimmed, lower-cased."""
    return address.strip().lower()


def desk_domain() -> str:
    """The domain of the desk's Message-IDs: MAIL_FROM's."""
    return domain_of(current_app.config["MAIL_FROM"])


def desk_addresses() -> set[str]:
    """The desk's own addresses (MAIL_FROM and MAIL_REPLY_TO, lower-cased): mail in ignores
    mail from them, so the desk never answers itself."""
    config = current_app.config
    return {normalise_address(config["MAIL_FROM"]), normalise_address(config["MAIL_REPLY_TO"])}


def thread_headers(ticket: Ticket, to_address: str | None = None) -> tuple[str, list[str]]:
    """(In-Reply-To, References) for the next mail about ``ticket`` (to ``to_address``): its
    thread root, then the Message-IDs of the latest mails of the ticket (to that address, when
    given; those refused for good left out), oldest first.

    Per recipient, because each person's thread holds only the mails they received: the
    500th watcher told of a change does not refer to the other 499's copies."""
    return _thread(ticket, to_address, None)


def _thread(
    ticket: Ticket, to_address: str | None, in_reply_to: str | None
) -> tuple[str, list[str]]:
    query = select(OutboundMail.message_id).where(
        OutboundMail.ticket_id == ticket.id, OutboundMail.state != MailState.DEAD
    )
    if to_address is not None:
        query = query.where(OutboundMail.to_address == normalise_address(to_address))
    earlier = list(db.session.scalars(query.order_by(OutboundMail.id.desc()).limit(MAX_REFERENCES)))
    earlier.reverse()
    return thread(thread_root(ticket.number, desk_domain()), earlier, in_reply_to)


def queue_mail(
    *,
    to_address: str,
    subject: str,
    text: str,
    html: str | None = None,
    ticket: Ticket | None = None,
    recipient: User | None = None,
    kind: str = "notification",
    notification_id: int | None = None,
    auto_generated: bool = True,
    in_reply_to: str | None = None,
    list_unsubscribe: str | None = None,
) -> OutboundMail:
    """Record a mail to one recipient and have it sent after the caller commits.

    The subject gets the ticket's number token; the mail threads with the ticket's earlier
    mails to the same address (see :func:`thread_headers`). Without ``SMTP_HOST`` it is
    ``recorded`` (shown to admins, never sent); to an address marked bouncing it is ``dead``
    at once, with the reason, and not sent.

    ``list_unsubscribe``: the one-click unsubscribe URL of a mail to subscribers (sent as
    ``List-Unsubscribe`` and ``List-Unsubscribe-Post``, RFC 8058).

    :raise Invalid: ``to_address`` is not a mail address (field ``to_address``), or
        ``list_unsubscribe`` is not a URL a header can carry (field ``list_unsubscribe``).
    """
    address = normalise_address(to_address)
    if not is_address(address):
        raise Invalid({"to_address": _("“%(address)s” is not a mail address.", address=to_address)})
    if list_unsubscribe is not None and not is_unsubscribe_url(list_unsubscribe):
        raise Invalid(
            {"list_unsubscribe": _("“%(url)s” is not an unsubscribe URL.", url=list_unsubscribe)}
        )
    in_reply_to = (in_reply_to or "").strip() or None
    if in_reply_to and not is_message_id(in_reply_to):
        in_reply_to = None  # a malformed id from a foreign mailer: thread without it
    references: list[str] = []
    if ticket is not None:
        subject = with_number(subject, ticket.number)
        in_reply_to, references = _thread(ticket, address, in_reply_to)
    mail = OutboundMail(
        message_id=new_message_id(desk_domain(), ticket.number if ticket else None),
        to_address=address,
        to_name=one_line(recipient.display_name)[:200] if recipient else None,
        recipient_id=recipient.id if recipient else None,
        subject=one_line(subject),
        text_body=text,
        html_body=html,
        ticket_id=ticket.id if ticket else None,
        kind=kind,
        notification_id=notification_id,
        in_reply_to=in_reply_to,
        references=" ".join(references),
        auto_generated=auto_generated,
        list_unsubscribe=list_unsubscribe,
        state=MailState.QUEUED,
        attempts=0,
    )
    bounce = _bouncing(address)
    if bounce is not None:
        mail.state = MailState.DEAD
        mail.last_error = bouncing_reason(bounce)
    elif not current_app.config.get("SMTP_HOST"):
        mail.state = MailState.RECORDED
    db.session.add(mail)
    db.session.flush()
    if mail.state == MailState.QUEUED:
        enqueue(delivery.SEND, {"id": mail.id})
    return mail


def retry_mail(mail: OutboundMail, *, actor: User | None) -> OutboundMail:
    """Send a ``failed`` or ``dead`` mail again now (an admin's "Retry now"), through a new
    outbox message; its attempts start again. A bouncing address is sent to all the same:
    the admin asked for it.

    :raise Invalid: the mail is not failed or dead, or no SMTP server is configured.
    """
    if mail.state not in (MailState.FAILED, MailState.DEAD):
        raise Invalid(
            {"mail": _("A %(state)s mail cannot be retried.", state=mail.state.label.lower())}
        )
    if not current_app.config.get("SMTP_HOST"):
        raise Invalid({"mail": _("No SMTP server is configured (SMTP_HOST): nothing can be sent.")})
    audit.record(
        actor, "outbound_mail", mail.id, "retried", {"state": [mail.state.value, "queued"]}
    )
    mail.state = MailState.QUEUED
    mail.attempts = 0
    db.session.flush()
    enqueue(delivery.SEND, {"id": mail.id})
    return mail


def bouncing_reason(entry: MailAddress) -> str:
    since = f"{entry.bounced_at:%Y-%m-%d %H:%M} UTC" if entry.bounced_at else "earlier"
    return f"Not sent: the address is bouncing since {since} ({entry.bounce_reason})."


def _bouncing(address: str) -> MailAddress | None:
    return db.session.scalar(
        select(MailAddress).where(MailAddress.address == address, MailAddress.bouncing)
    )


def is_bouncing(address: str) -> bool:
    """True when mail to ``address`` bounced and nobody cleared the mark since."""
    return _bouncing(normalise_address(address)) is not None


def mark_bouncing(address: str, reason: str, at: datetime) -> MailAddress:
    """Record that mail to ``address`` bounced at ``at`` for ``reason`` (mail in calls this on
    a bounce): later mails to it are recorded as dead instead of sent."""
    address = normalise_address(address)
    entry = db.session.scalar(select(MailAddress).where(MailAddress.address == address))
    if entry is None:
        try:
            with db.session.begin_nested():  # another process may add the same address
                entry = MailAddress(address=address, bounce_count=0)
                db.session.add(entry)
        except IntegrityError:
            entry = db.session.scalars(
                select(MailAddress).where(MailAddress.address == address)
            ).one()
    entry.bouncing = True
    entry.bounced_at = at
    entry.bounce_reason = one_line(reason)[:2000] or "bounced"
    entry.bounce_count = (entry.bounce_count or 0) + 1
    db.session.flush()
    return entry


def clear_bouncing(entry: MailAddress, *, actor: User | None) -> MailAddress:
    """Forget that ``entry``'s address bounces (an admin knows it works again): mail to it is
    sent again. Audited; the bounce history (count, last reason) stays."""
    if entry.bouncing:
        entry.bouncing = False
        audit.record(actor, "mail_address", entry.id, "bounce_cleared", {"bouncing": [True, False]})
        db.session.flush()
    return entry


def count_by_state() -> dict[MailState, int]:
    """How many mails are in each state (the admin page's filter)."""
    rows = db.session.execute(
        select(OutboundMail.state, func.count()).group_by(OutboundMail.state)
    ).all()
    return {state: count for state, count in rows}
