"""Compose an outgoing mail as RFC 5322 bytes: pure, no Flask, no database.

Every value arrives as an argument (the time included), so the same stored row always gives
the same message: a retry sends what the first attempt tried to send.

Threading follows the usual helpdesk practice: each ticket has a stable *thread root*
(``<INC0001234.ticket@domain>``) that no real message carries. Every mail of the ticket lists
it first in ``References``, so mail clients keep all of the ticket's mails in one thread even
when some were never delivered, and mail in can recognise a reply by any id in the chain.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime

MAX_REFERENCES = 10
"""How many earlier mails of a ticket ``References`` lists after the root (RFC 5322 asks
to keep the header short; the root and the latest mails are what clients need)."""

_WHITESPACE = re.compile(r"\s+")

POLICY = SMTP.clone(refold_source="none")
"""SMTP's, except that a header stored pre-folded (see :func:`set_header`) is sent as
folded."""


@dataclass(frozen=True)
class MailParts:
    """What a mail consists of, as stored (see ``OutboundMail``)."""

    message_id: str
    from_address: str
    from_name: str
    to_address: str
    to_name: str | None
    reply_to: str
    subject: str
    text: str
    date: datetime
    html: str | None = None
    in_reply_to: str | None = None
    references: tuple[str, ...] = field(default_factory=tuple)
    auto_generated: bool = True


def one_line(value: str) -> str:
    """A header value on one line: line breaks and runs of blanks become one space (a
    subject or name with a newline would otherwise inject headers)."""
    return _WHITESPACE.sub(" ", value).strip()


def domain_of(address: str) -> str:
    """The domain part of an address (``localhost`` when it has none)."""
    return address.rpartition("@")[2].strip().lower() or "localhost"


def new_message_id(domain: str, hint: str | None = None) -> str:
    """A fresh, unguessable Message-ID at ``domain``, optionally starting with ``hint``
    (a ticket number) for people reading raw headers."""
    token = secrets.token_hex(12)
    return f"<{hint}.{token}@{domain}>" if hint else f"<{token}@{domain}>"


def thread_root(number: str, domain: str) -> str:
    """The stable id every mail of ticket ``number`` refers to."""
    return f"<{number}.ticket@{domain}>"


def number_token(number: str) -> str:
    return f"[{number}]"


def with_number(subject: str, number: str) -> str:
    """``subject`` with the ticket's token in front, unless it already carries it."""
    subject = one_line(subject)
    token = number_token(number)
    if token.lower() in subject.lower():
        return subject
    return f"{token} {subject}" if subject else token


def thread(root: str, earlier: list[str], in_reply_to: str | None = None) -> tuple[str, list[str]]:
    """(In-Reply-To, References) for a new mail of a thread: the references are the root,
    then the latest ``MAX_REFERENCES`` earlier ids (oldest first), then ``in_reply_to`` when
    given (a mail that answers one we received); In-Reply-To is the last of them."""
    references = [root] + [i for i in earlier[-MAX_REFERENCES:] if i != root]
    if in_reply_to and in_reply_to not in references:
        references.append(in_reply_to)
    return (in_reply_to or references[-1]), references


def set_header(message: EmailMessage, name: str, value: str) -> None:
    """Set header ``name``, folded after its first word at the earliest.

    The standard library folds a value that does not fit on the ``Name:`` line but fits on a
    line of its own right after the colon, and readers (Python's parser among them) then see
    a value that starts with a blank: a subject with a leading space, an In-Reply-To that no
    longer equals the Message-ID it names. Such a header is kept on the first line (at most
    78 characters more than the name, well within RFC 5322's limit of 998).
    """
    message[name] = value
    folded = message[name].fold(policy=message.policy)
    lines = folded[len(name) + 1 :].splitlines()
    if lines and lines[0] == "" and len(lines) > 1:
        del message[name]
        message.set_raw(name, "\r\n".join([lines[1].lstrip(), *lines[2:]]))


def compose(parts: MailParts) -> EmailMessage:
    """The message to hand to SMTP: text alone, or ``multipart/alternative`` text + HTML.

    :raise ValueError: an address or header value the email package refuses.
    """
    message = EmailMessage(policy=POLICY)
    set_header(message, "Message-ID", parts.message_id)
    message["Date"] = format_datetime(parts.date)
    message["From"] = Address(one_line(parts.from_name), addr_spec=parts.from_address)
    message["To"] = Address(one_line(parts.to_name or ""), addr_spec=parts.to_address)
    message["Reply-To"] = Address(one_line(parts.from_name), addr_spec=parts.reply_to)
    set_header(message, "Subject", one_line(parts.subject))
    if parts.in_reply_to:
        set_header(message, "In-Reply-To", parts.in_reply_to)
    if parts.references:
        set_header(message, "References", " ".join(parts.references))
    if parts.auto_generated:
        # RFC 3834: no automatic answer to this mail; Exchange's own switch for the same.
        message["Auto-Submitted"] = "auto-generated"
        message["X-Auto-Response-Suppress"] = "All"
    message.set_content(parts.text, charset="utf-8")
    if parts.html is not None:
        message.add_alternative(parts.html, subtype="html", charset="utf-8")
    return message
