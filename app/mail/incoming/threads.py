"""Which ticket a received mail belongs to: its ``In-Reply-To`` and ``References`` against the
Message-IDs the desk sent (``outbound_mails``) and received (``inbound_messages``) and the
tickets' thread roots (``<INC0001234.ticket@domain>``), then a number in its subject
(``[INC0001234]``); None means a new ticket."""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import select

from app.extensions import db
from app.mail.incoming.models import InboundMessage
from app.mail.outgoing.models import OutboundMail
from app.mail.parsing.message import ParsedMail
from app.mail.parsing.words import subject_tokens
from app.tickets.models import Ticket

THREAD_ROOT = re.compile(r"^<?([A-Z]{2,10}\d{4,12})\.ticket@", re.IGNORECASE)
MAX_IDS = 50  # a References header is bounded in practice; a hostile one is cut


def referenced_ids(mail: ParsedMail) -> list[str]:
    """The Message-IDs the mail answers, newest first (In-Reply-To, then References from the
    end), without duplicates."""
    ids: list[str] = []
    for found in [*mail.in_reply_to, *reversed(mail.references)]:
        value = found.strip()
        if value and value not in ids:
            ids.append(value)
    return ids[:MAX_IDS]


def id_forms(ids: list[str]) -> list[str]:
    """Each Message-ID with and without its angle brackets (stored ids keep them)."""
    bare = [i.strip().strip("<>") for i in ids]
    return bare + [f"<{i}>" for i in bare]


def _by_number(numbers: Iterable[str]) -> Ticket | None:
    for number in numbers:
        ticket = db.session.scalar(select(Ticket).where(Ticket.number == number.upper()[:20]))
        if ticket is not None:
            return ticket
    return None


def ticket_of(mail: ParsedMail) -> Ticket | None:
    """The ticket the mail continues, or None when it starts a new conversation."""
    ids = referenced_ids(mail)
    if ids:
        forms = id_forms(ids)
        ticket_id = db.session.scalar(
            select(OutboundMail.ticket_id)
            .where(OutboundMail.message_id.in_(forms), OutboundMail.ticket_id.is_not(None))
            .limit(1)
        ) or db.session.scalar(
            select(InboundMessage.ticket_id)
            .where(InboundMessage.message_id.in_(forms), InboundMessage.ticket_id.is_not(None))
            .limit(1)
        )
        if ticket_id is not None:
            return db.session.get(Ticket, ticket_id)
        roots = [m.group(1) for i in ids if (m := THREAD_ROOT.match(i))]
        ticket = _by_number(roots)
        if ticket is not None:
            return ticket
    return _by_number(subject_tokens(mail.subject))
