"""What a mail on an existing ticket does, through the ticket kind's own services: a reply
from the caller, a watcher or IT staff (a resolved incident reopens as the portal's reopen
does), an approval decided by the approver's answer, or a work note for agents when the
sender takes no part in the ticket. Attachments go through the attachment store."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import func, select

from app.auth.models import User
from app.errors import Conflict, DomainError, Forbidden, Invalid
from app.extensions import db
from app.forms import clean_text
from app.i18n import N_
from app.i18n.stored import english, stored
from app.incidents import services as incidents
from app.incidents.models import Incident
from app.incidents.workflow import State
from app.mail.incoming.models import InboundMessage
from app.mail.parsing.message import ParsedMail
from app.mail.parsing.words import approval_answer
from app.policy import can
from app.requests import services as requests
from app.requests.models import Approval, ApprovalState, CatalogTask, RequestItem
from app.tickets import attachments
from app.tickets import services as tickets
from app.tickets.models import EntryKind, Ticket

MAX_TEXT = 20_000
CUT = "\n\n[The mail was longer; the rest was cut.]"


class Refused(Exception):
    """The mail was understood but what it asks is refused (an approval the sender may not
    decide, a reopen over the limit): ``reason`` says why; ``quarantine`` when an
    administrator should look at it."""

    def __init__(self, message: dict[str, Any], *, quarantine: bool = False) -> None:
        """``message``: why, as a stored message (:mod:`app.i18n.stored`); ``reason`` is its
        English."""
        super().__init__(english(message))
        self.reason, self.message, self.quarantine = english(message), message, quarantine


class Closed(Exception):
    """The caller answers an incident that is closed (or resolved beyond the reopen window):
    the mail opens a new incident that follows it, as the portal asks them to."""


@dataclass(frozen=True)
class Answered:
    action: str  # replied, reopened, note, approved, rejected
    entry_id: int | None


def fit(text: str, limit: int = MAX_TEXT) -> str:
    """Mail text as a ticket keeps it: no control characters, cut to ``limit``."""
    text = clean_text(text).strip()
    return text if len(text) <= limit else text[: limit - len(CUT)] + CUT


def _body(mail: ParsedMail) -> str:
    return fit(mail.reply or mail.text) or "(The mail had no text.)"


def add_files(
    ticket: Ticket, mail: ParsedMail, author: Any, *, internal: bool, entry_id: int | None
) -> list[str]:
    """Store the mail's attachments and inline images on ``ticket`` (the portal's limits);
    returns the files that were skipped, each with why (too large, empty)."""
    skipped = []
    for part in mail.attachments:
        try:
            attachments.store_bytes(
                ticket,
                data=part.data,
                filename=part.filename,
                content_type=part.content_type,
                uploader=author,
                internal=internal,
                journal_entry_id=entry_id,
            )
        except DomainError as error:
            skipped.append(f"{part.filename} ({error})")
    return skipped


def add_raw(ticket: Ticket, raw: bytes, filename: str, entry_id: int | None) -> None:
    """Keep a whole message (a bounce) on the ticket as an internal ``.eml`` file."""
    with contextlib.suppress(DomainError):  # too large: the work note says what bounced
        attachments.store_bytes(
            ticket,
            data=raw,
            filename=filename,
            content_type="message/rfc822",
            uploader=None,
            internal=True,
            journal_entry_id=entry_id,
        )


def note_skipped(ticket: Ticket, skipped: list[str], now: datetime) -> None:
    if skipped:
        tickets.add_entry(
            ticket,
            EntryKind.WORK_NOTE,
            None,
            body=stored(
                N_("Attachments of the mail not kept: %(files)s"), files="; ".join(skipped)
            ),
            at=now,
        )


def stranger_note(ticket: Ticket, mail: ParsedMail, now: datetime) -> Answered:
    """A work note for agents: the sender takes no part in the ticket."""
    entry = tickets.add_entry(
        ticket,
        EntryKind.WORK_NOTE,
        None,
        body=stored(
            N_("Mail from %(address)s (not a participant):\n\n%(text)s"),
            address=mail.from_address,
            text=fit(_body(mail), MAX_TEXT - 400),
        ),
        at=now,
    )
    db.session.flush()
    tickets.record_event(
        ticket, "commented", None, at=now, entry_id=entry.id, public=False, by_caller=False
    )
    return Answered("note", entry.id)


def _reopens_in_last_hour(ticket: Ticket, now: datetime) -> int:
    return (
        db.session.scalar(
            select(func.count())
            .select_from(InboundMessage)
            .where(
                InboundMessage.ticket_id == ticket.id,
                InboundMessage.action == "reopened",
                InboundMessage.received_at > now - timedelta(hours=1),
            )
        )
        or 0
    )


def _is_party(ticket: Ticket, sender: User) -> bool:
    return sender.id in (ticket.caller_id, ticket.opened_by_id) or any(
        w.id == sender.id for w in ticket.watchers
    )


def _answer_incident(
    incident: Incident, mail: ParsedMail, sender: User, party: bool, now: datetime, limited: bool
) -> Answered:
    if not (party or can(sender, "incident.work", incident)):
        return stranger_note(incident, mail, now)
    if incident.state == State.RESOLVED and sender.id in (
        incident.caller_id,
        incident.opened_by_id,
    ):
        limit = current_app.config["MAIL_MAX_REOPENS_PER_TICKET_HOUR"]
        if limited and _reopens_in_last_hour(incident, now) >= limit:
            raise Refused(
                stored(
                    N_("%(number)s was reopened by mail %(limit)s times in the last hour"),
                    number=incident.number,
                    limit=limit,
                ),
                quarantine=True,
            )
        window = incidents.reopen_window(current_app.config)
        if not incidents.can_reopen(incident, now, window):
            raise Closed()
        incidents.reopen_incident(
            incident, actor=sender, reason=_body(mail), window=window, now=now
        )
        return Answered("reopened", None)
    if incident.state in (State.CLOSED, State.CANCELED) and not can(
        sender, "incident.work", incident
    ):
        raise Closed()
    entry = incidents.comment(incident, author=sender, body=_body(mail), public=True, now=now)
    return Answered("replied", entry.id)


def _pending_approval(item: RequestItem, sender: User) -> Approval | None:
    waiting = db.session.scalars(
        select(Approval).where(
            Approval.item_id == item.id, Approval.state == ApprovalState.REQUESTED
        )
    )
    return next((a for a in waiting if requests.acts_for(sender, a)), None)


def _decide_by_mail(
    approval: Approval, answer: tuple[str, str], mail: ParsedMail, sender: User, now: datetime
) -> Answered:
    """Decide through ``approvals.services.decide`` (every rule applies); a refusal becomes a
    work note on the item and :class:`Refused`."""
    verdict, comment = answer
    try:
        with db.session.begin_nested():
            requests.decide(
                approval,
                actor=sender,
                approve=verdict == "approve",
                comment=fit(comment, 4000),
                via="a mail reply",
                now=now,
            )
    except (Forbidden, Conflict, Invalid) as error:
        why = str(error)
        tickets.add_entry(
            approval.item,
            EntryKind.WORK_NOTE,
            None,
            body=stored(
                N_("Mail from %(address)s answering the approval was refused: %(why)s"),
                address=mail.from_address,
                why=why,
            ),
            at=now,
        )
        raise Refused(stored(N_("refused: %(why)s"), why=why)) from None
    return Answered("approved" if verdict == "approve" else "rejected", None)


def _answer_request(
    ticket: Ticket, mail: ParsedMail, sender: User, party: bool, now: datetime
) -> Answered:
    target = ticket.item if isinstance(ticket, CatalogTask) else ticket
    answer = approval_answer(mail.reply or mail.text)
    if isinstance(target, RequestItem) and answer is not None:
        approval = _pending_approval(target, sender)
        if approval is not None:
            return _decide_by_mail(approval, answer, mail, sender, now)
    party = party or _is_party(target, sender)
    if isinstance(target, RequestItem):
        party = party or _is_party(target.request, sender)
    if not (party or can(sender, "request_item.work", target)):
        return stranger_note(ticket, mail, now)
    entry = requests.comment(target, author=sender, body=_body(mail), public=True, now=now)
    return Answered("replied", entry.id)


def answer(
    ticket: Ticket, mail: ParsedMail, sender: User | None, now: datetime, *, limited: bool = True
) -> Answered:
    """Apply the mail to the ticket it continues; flushes. An unverified caller (who cannot
    sign in) still answers their own tickets; any other inactive account is a stranger.
    ``limited``: the hourly reopen limit applies (not when an administrator processes a
    quarantined message again).

    :raise Refused: the mail asks what the sender may not do (the caller commits the work note
        that says so).
    """
    if sender is None:
        return stranger_note(ticket, mail, now)
    party = _is_party(ticket, sender)
    if not sender.is_active and not (sender.unverified and party):
        return stranger_note(ticket, mail, now)
    if isinstance(ticket, Incident):
        return _answer_incident(ticket, mail, sender, party, now, limited)
    return _answer_request(ticket, mail, sender, party, now)
