"""Receiving one message: :func:`receive` decides what the mail is (a duplicate, unreadable,
the desk's own, a bounce, automated, over a rate limit, an answer on a ticket, a new ticket),
applies it through the ticket kinds' own services and records an :class:`InboundMessage`
with the outcome. It flushes; the caller commits (see :mod:`app.mail.incoming.intake`).

Nothing automated ever creates, reopens or answers a ticket: loops stop here.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.auth import services as people
from app.auth.models import User
from app.extensions import db
from app.forms import clean_text
from app.i18n import N_
from app.i18n.locale import default_language
from app.i18n.stored import english, stored
from app.incidents import services as incidents
from app.mail.incoming import answers, threads
from app.mail.incoming.models import InboundMessage, Mailbox, MessageState, UnknownSenders
from app.mail.outgoing import services as outgoing
from app.mail.outgoing.models import OutboundMail
from app.mail.parsing.automated import automated_message
from app.mail.parsing.bounces import Bounce, bounce_of
from app.mail.parsing.message import ParsedMail, Unreadable, parse
from app.tickets import services as tickets
from app.tickets.models import Channel, EntryKind, Ticket
from app.timeutils import utc_now

HEADER_END = re.compile(rb"\r?\n\r?\n")
MESSAGE_ID = re.compile(rb"^message-id:[ \t]*(<[^>\r\n]{1,250}>)", re.IGNORECASE | re.MULTILINE)
BOUNCE_HINTS = re.compile(
    r"undeliver|deliver(y|ed)|returned|failure|fail(ed)?\b|mailer|postmaster|bounce"
    r"|unzustellbar|non remis|onbestelbaar|olevererbar",
    re.IGNORECASE,
)
#: The answer to a stranger's mail, in the desk's language (nobody's own is known).
REFUSAL = _l(
    "Hello,\n\nThank you for your message. This service desk only accepts mail from people "
    "it knows, so no ticket was opened for it.\nPlease contact your IT service desk by "
    "another way, or ask them to add your address.\n\n(This is an automatic answer.)"
)


@dataclass(frozen=True)
class Outcome:
    """What became of one message: the ticket it created or updated (``number``) and the
    ``action`` (created, replied, reopened, note, approved, rejected, bounce, refused), or why
    it was ``ignored`` or ``quarantined``."""

    number: str | None
    action: str
    ignored: str | None = None
    quarantined: str | None = None
    #: Why it was ignored or quarantined as a stored message (:mod:`app.i18n.stored`), which
    #: the quarantine page words in its reader's language; ``ignored``/``quarantined`` keep
    #: the English.
    message: dict[str, Any] | None = None

    def line(self) -> str:
        """The one line ``flask mail receive`` prints."""
        if self.quarantined:
            return f"quarantined: {_one_line(self.quarantined)}"
        if self.ignored:
            return f"ignored: {_one_line(self.ignored)}"
        return self.number or self.action


def _set_aside(
    action: str, why: dict[str, Any], *, number: str | None = None, quarantine: bool = False
) -> Outcome:
    """The outcome of a message ignored (or quarantined) for the stored reason ``why``."""
    text = english(why)
    if quarantine:
        return Outcome(number, action, quarantined=text, message=why)
    return Outcome(number, action, ignored=text, message=why)


def _one_line(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def message_id_of(raw: bytes, mail: ParsedMail | None = None) -> str:
    """The message's id: its Message-ID header (also read from the raw header block of a
    message that cannot be parsed), or a stable id made from the bytes when it has none."""
    found = mail.message_id if mail is not None else None
    if not found:
        head = HEADER_END.split(raw[:65536], maxsplit=1)[0]
        match = MESSAGE_ID.search(head)
        found = match.group(1).decode("ascii", "replace") if match else None
    found = (found or "").strip()
    if found and len(found) <= 250 and found.isprintable():
        return found if found.startswith("<") else f"<{found.strip('<>')}>"
    return f"<{hashlib.sha256(raw).hexdigest()}{NO_MESSAGE_ID}"


NO_MESSAGE_ID = "@no-message-id.deskgraph>"  # the end of an id made up from a message's bytes


def opening_message_id(ticket_id: int) -> str | None:
    """The Message-ID of the mail that opened ticket ``ticket_id``, if one did and it had an
    id of its own: the ticket's receipt answers it, so that the sender's mail client shows
    the two together."""
    found = db.session.scalar(
        select(InboundMessage.message_id)
        .where(InboundMessage.ticket_id == ticket_id, InboundMessage.action == "created")
        .order_by(InboundMessage.id)
        .limit(1)
    )
    return None if found is None or found.endswith(NO_MESSAGE_ID) else found


def already_received(message_id: str) -> bool:
    return (
        db.session.scalar(select(InboundMessage.id).where(InboundMessage.message_id == message_id))
        is not None
    )


def _record(
    raw: bytes,
    message_id: str,
    mailbox: Mailbox | None,
    mail: ParsedMail | None,
    now: datetime,
    outcome: Outcome,
    row: InboundMessage | None,
    ticket: Ticket | None = None,
) -> Outcome:
    """Write (or rewrite, when processed again) the message's row; the raw bytes are kept
    unless the message was processed."""
    row = row or InboundMessage(message_id=message_id)
    if row.id is None:
        db.session.add(row)
    row.mailbox_id = mailbox.id if mailbox else row.mailbox_id
    if mail is not None:
        row.from_address = (mail.from_address or "").lower()[:320] or None
    row.subject = clean_text(mail.subject)[:300] if mail else (row.subject or "")
    row.received_at = now
    row.size = len(raw)
    if outcome.quarantined:
        row.state, row.reason = MessageState.QUARANTINED, outcome.quarantined
    elif outcome.ignored:
        row.state, row.reason = MessageState.IGNORED, outcome.ignored
    else:
        row.state, row.reason = MessageState.PROCESSED, None
    row.reason_message = outcome.message if row.reason else None
    row.action = outcome.action
    row.ticket_id = ticket.id if ticket else None
    row.raw = None if row.state == MessageState.PROCESSED else raw
    db.session.flush()
    return outcome


def quarantine(
    raw: bytes,
    mailbox: Mailbox | None,
    reason: dict[str, Any],
    now: datetime | None = None,
    *,
    again_id: int | None = None,
) -> Outcome:
    """Keep a message that could not be handled, with the reason (a stored message, worded in
    its reader's language), for an administrator (a message quarantined or ignored before
    keeps its row, with the new reason). A message that another delivery processed meanwhile
    is left as it is: "already received"."""
    now = now or utc_now()
    try:
        mail: ParsedMail | None = parse(raw, max_bytes=current_app.config["MAIL_MAX_BYTES"])
    except Unreadable:
        mail = None
    message_id = message_id_of(raw, mail)
    row = db.session.scalar(select(InboundMessage).where(InboundMessage.message_id == message_id))
    if row is not None and row.state == MessageState.PROCESSED and row.id != again_id:
        return Outcome(None, "duplicate", ignored="already received")
    outcome = Outcome(None, "quarantined", quarantined=english(reason)[:2000], message=reason)
    return _record(raw, message_id, mailbox, mail, now, outcome, row)


def sender_of(mail: ParsedMail) -> User | None:
    """The person whose mail address is the sender's (compared case-insensitively; an
    active account first)."""
    address = (mail.from_address or "").strip().lower()
    if not address:
        return None
    return db.session.scalar(
        select(User)
        .where(func.lower(User.email) == address)
        .order_by(User.is_active.desc(), User.id)
        .limit(1)
    )


def _own_addresses() -> set[str]:
    own = {a.lower() for a in outgoing.desk_addresses()}
    own.update(a.lower() for a in db.session.scalars(select(Mailbox.address)))
    return own


def _created_in_last_hour(address: str, now: datetime) -> int:
    return (
        db.session.scalar(
            select(func.count())
            .select_from(InboundMessage)
            .where(
                InboundMessage.from_address == address,
                InboundMessage.action.in_(("created", "refused")),
                InboundMessage.received_at > now - timedelta(hours=1),
            )
        )
        or 0
    )


def unverified_caller(mail: ParsedMail) -> User:
    """A caller for an unknown sender: no password, not active (cannot sign in), marked
    unverified, named as the mail names them."""
    address = (mail.from_address or "").lower()[:320]
    base, n = address[:140], 1
    username = base
    while people.get_user_by_username(username) is not None:
        n += 1
        username = f"{base}~{n}"
    name = clean_text(mail.from_name or "").strip()[:200] or address
    user = people.create_local_user(username=username, display_name=name, password=None)
    user.email, user.is_active, user.unverified = address, False, True
    db.session.flush()
    return user


def _looks_like_a_bounce(mail: ParsedMail) -> bool:
    """Whether a mail that carries no automated marker may still be a bounce (by its subject or
    sender): only then are the bounce detectors run, which read the whole message (about
    15 ms)."""
    return bool(BOUNCE_HINTS.search(mail.subject) or BOUNCE_HINTS.search(mail.from_address or ""))


def _bounced(bounce: Bounce, raw: bytes, now: datetime) -> tuple[Ticket | None, dict[str, Any]]:
    """Mark the bounced addresses and note the bounce on the ticket whose mail bounced."""
    for address in bounce.addresses:
        if bounce.permanent:
            outgoing.mark_bouncing(address, bounce.reason, now)
    ticket = None
    if bounce.original_message_id:
        ticket_id = db.session.scalar(
            select(OutboundMail.ticket_id)
            .where(OutboundMail.message_id.in_(threads.id_forms([bounce.original_message_id])))
            .limit(1)
        )
        ticket = db.session.get(Ticket, ticket_id) if ticket_id else None
    addresses = ", ".join(bounce.addresses) or stored(N_("an unknown address"))
    if ticket is not None:
        msg = (
            N_("Mail to %(who)s bounced: %(reason)s")
            if bounce.permanent
            else N_("Mail to %(who)s is delayed: %(reason)s")
        )
        body = stored(msg, who=addresses, reason=bounce.reason)
        entry = tickets.add_entry(ticket, EntryKind.WORK_NOTE, None, body=body, at=now)
        db.session.flush()
        answers.add_raw(ticket, raw, "bounce.eml", entry.id)
    what = (
        N_("a bounce: mail to %(who)s bounced (%(reason)s)")
        if bounce.permanent
        else N_("a bounce: mail to %(who)s is delayed (%(reason)s)")
    )
    return ticket, stored(what, who=addresses, reason=bounce.reason)


def _new_ticket(
    mail: ParsedMail,
    sender: User | None,
    mailbox: Mailbox | None,
    now: datetime,
    *,
    limited: bool,
    follows: Ticket | None = None,
) -> tuple[Outcome, Ticket | None]:
    """Open an incident for the mail (``follows``: the closed ticket it answers, named in the
    description), within the sender's hourly limit; an unknown sender is created or refused
    as the mailbox says."""
    address = (mail.from_address or "").lower()
    limit = current_app.config["MAIL_MAX_TICKETS_PER_SENDER_HOUR"]
    if limited and _created_in_last_hour(address, now) >= limit:
        why = stored(
            N_("%(address)s sent more than %(limit)s new tickets in the last hour"),
            address=address,
            limit=limit,
        )
        return _set_aside("limited", why, quarantine=True), None
    if sender is None:
        setting = (
            mailbox.unknown_senders
            if mailbox
            else UnknownSenders(current_app.config["MAIL_UNKNOWN_SENDERS"])
        )
        if setting == UnknownSenders.REFUSE:
            with force_locale(default_language()):
                refusal = str(REFUSAL)
            outgoing.queue_mail(
                to_address=address,
                subject=f"Re: {mail.subject}".strip()[:200],
                text=refusal,
                kind="refusal",
                auto_generated=True,
                in_reply_to=message_id_of(b"", mail) if mail.message_id else None,
            )
            why = stored(N_("unknown sender: refused by mail"))
            return _set_aside("refused", why), None
        sender = unverified_caller(mail)
    elif not sender.is_active and not sender.unverified:
        why = stored(N_("%(address)s belongs to a deactivated account"), address=address)
        return _set_aside("refused", why), None
    incident = incidents.open_incident(
        caller=sender,
        opened_by=sender,
        short_description=clean_text(mail.subject).strip()[:200] or "(no subject)",
        description=answers.fit(
            (f"Follow-up to {follows.number}, which is closed.\n\n" if follows else "") + mail.text
        ),
        channel=Channel.EMAIL,
        impact=mailbox.impact if mailbox else 3,
        urgency=mailbox.urgency if mailbox else 3,
        category=mailbox.category if mailbox else None,
        assignment_group=mailbox.assignment_group if mailbox else None,
        now=now,
    )
    answers.note_skipped(
        incident, answers.add_files(incident, mail, sender, internal=False, entry_id=None), now
    )
    return Outcome(incident.number, "created"), incident


def receive(
    raw: bytes,
    mailbox: Mailbox | None,
    now: datetime | None = None,
    *,
    again: InboundMessage | None = None,
) -> Outcome:
    """Receive one RFC 5322 message: record it and apply it (see the module's docstring).
    ``again``: the row of an ignored or quarantined message an administrator processes
    again (rate limits do not apply then). Never raises for what the mail contains; flushes.
    """
    now = now or utc_now()
    try:
        mail = parse(raw, max_bytes=current_app.config["MAIL_MAX_BYTES"])
    except Unreadable as error:
        message_id = message_id_of(raw)
        if again is None and already_received(message_id):
            return Outcome(None, "duplicate", ignored="already received")
        outcome = _set_aside("unreadable", error.text, quarantine=True)
        return _record(raw, message_id, mailbox, None, now, outcome, again)
    message_id = again.message_id if again is not None else message_id_of(raw, mail)
    if again is None and already_received(message_id):
        return Outcome(None, "duplicate", ignored="already received")

    def done(outcome: Outcome, ticket: Ticket | None = None) -> Outcome:
        return _record(raw, message_id, mailbox, mail, now, outcome, again, ticket)

    address = (mail.from_address or "").lower()
    if address in _own_addresses():
        own = stored(N_("sent by the desk's own address %(address)s"), address=address)
        return done(_set_aside("own", own))
    automated = automated_message(mail)
    bounce = bounce_of(mail) if automated or _looks_like_a_bounce(mail) else None
    if bounce is not None:
        ticket, what = _bounced(bounce, raw, now)
        if ticket is None:
            why = stored(N_("%(what)s; no ticket's mail bounced"), what=what)
            return done(_set_aside("bounce", why))
        return done(Outcome(ticket.number, "bounce"), ticket)
    if automated:
        why = stored(N_("automated mail (%(reason)s)"), reason=automated)
        return done(_set_aside("automated", why))
    sender = sender_of(mail)
    ticket = threads.ticket_of(mail)
    if ticket is None:
        # An administrator processing a message again has decided: no rate limit then.
        outcome, created = _new_ticket(mail, sender, mailbox, now, limited=again is None)
        return done(outcome, created)
    try:
        answered = answers.answer(ticket, mail, sender, now, limited=again is None)
    except answers.Closed:
        outcome, created = _new_ticket(
            mail, sender, mailbox, now, limited=again is None, follows=ticket
        )
        return done(outcome, created)
    except answers.Refused as refusal:
        held, reason = refusal.quarantine, refusal.reason
        kept = Outcome(
            ticket.number,
            "refused",
            quarantined=reason if held else None,
            ignored=None if held else reason,
            message=refusal.message,
        )
        return done(kept, ticket)
    internal = answered.action == "note"
    author = None if internal else sender
    answers.note_skipped(
        ticket,
        answers.add_files(ticket, mail, author, internal=internal, entry_id=answered.entry_id),
        now,
    )
    return done(Outcome(ticket.number, answered.action), ticket)
