"""Compose an outgoing mail as RFC 5322 bytes: pure, no Flask, no database.

Every value arrives as an argument (the time included), so the same stored row always gives
the same message: a retry sends what the first attempt tried to send.

Threading follows the usual helpdesk practice: each ticket has a stable *thread root*
(``<INC0001234.ticket@domain>``) that no real message carries. Every mail of the ticket lists
it first in ``References``, so mail clients keep all of the ticket's mails in one thread even
when some were never delivered, and mail in can recognise a reply by any id in the chain.
"""

from __future__ import annotations

import binascii
import hashlib
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from email.header import Header
from email.utils import format_datetime, formataddr

MAX_REFERENCES = 10
"""How many earlier mails of a ticket ``References`` lists after the root (RFC 5322 asks
to keep the header short; the root and the latest mails are what clients need)."""

_WHITESPACE = re.compile(r"\s+")


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
    # RFC 2369 / 8058: a one-click unsubscribe URL (https, ASCII) for mail sent to a list.
    list_unsubscribe: str | None = None


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
    rest = subject[len(number) :]
    if subject[: len(number)].upper() == number.upper() and not rest[:1].isalnum():
        subject = rest.lstrip(" :-")  # "INC0001234 received": the token, not the number twice
    return f"{token} {subject}" if subject else token


def thread(root: str, earlier: list[str], in_reply_to: str | None = None) -> tuple[str, list[str]]:
    """(In-Reply-To, References) for a new mail of a thread: the references are the root,
    then the latest ``MAX_REFERENCES`` earlier ids (oldest first), then ``in_reply_to`` when
    given (a mail that answers one we received); In-Reply-To is the last of them."""
    references = [root] + [i for i in earlier[-MAX_REFERENCES:] if i != root]
    if in_reply_to and in_reply_to not in references:
        references.append(in_reply_to)
    return (in_reply_to or references[-1]), references


def compose(parts: MailParts) -> bytes:
    """The message to hand to SMTP, as bytes with CRLF line ends: text alone, or
    ``multipart/alternative`` text + HTML, both UTF-8 in quoted-printable (7-bit clean, so
    any server takes it). The same parts always give the same bytes (the boundary comes from
    the Message-ID), so a retry repeats the first attempt exactly.

    Written out directly rather than through ``email.message.EmailMessage``: the email
    package's header objects cost about 1 ms per mail, a sixth of the delivery budget
    (bench/mail_delivery.py). The tests parse every shape back with the email package.

    :raise ValueError: an address or message id that cannot go into a header as it is.
    """
    headers = [
        ("Message-ID", _message_id(parts.message_id)),
        ("Date", format_datetime(parts.date)),
        ("From", _address(parts.from_name, parts.from_address)),
        ("To", _address(parts.to_name, parts.to_address)),
        ("Reply-To", _address(parts.from_name, parts.reply_to)),
        ("Subject", _text(parts.subject)),
    ]
    if parts.in_reply_to:
        headers.append(("In-Reply-To", _message_id(parts.in_reply_to)))
    if parts.references:
        headers.append(("References", "\r\n ".join(map(_message_id, parts.references))))
    if parts.auto_generated:
        # RFC 3834: no automatic answer to this mail; Exchange's own switch for the same.
        headers.append(("Auto-Submitted", "auto-generated"))
        headers.append(("X-Auto-Response-Suppress", "All"))
    if parts.list_unsubscribe:
        headers.append(("List-Unsubscribe", f"<{_url(parts.list_unsubscribe)}>"))
        headers.append(("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"))
    headers.append(("MIME-Version", "1.0"))
    head = "".join(f"{name}: {value}\r\n" for name, value in headers).encode("ascii")
    if parts.html is None:
        return head + _part("plain", parts.text)
    boundary = "=_" + hashlib.sha256(parts.message_id.encode()).hexdigest()[:32]
    delimiter = f"\r\n--{boundary}\r\n".encode("ascii")
    return b"".join(
        [
            head,
            f'Content-Type: multipart/alternative;\r\n boundary="{boundary}"\r\n'.encode("ascii"),
            b"\r\nThis is a message in text and HTML.",
            delimiter,
            _part("plain", parts.text),
            delimiter,
            _part("html", parts.html),
            f"\r\n--{boundary}--\r\n".encode("ascii"),
        ]
    )


def _part(subtype: str, body: str) -> bytes:
    """A text part's headers and body: UTF-8, quoted-printable (never contains ``=_``, so a
    boundary starting with it cannot occur inside)."""
    lines = body.replace("\r\n", "\n").replace("\r", "\n")
    encoded = binascii.b2a_qp(lines.encode("utf-8"), istext=True).replace(b"\n", b"\r\n")
    return (
        f'Content-Type: text/{subtype}; charset="utf-8"\r\n'
        "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
    ).encode("ascii") + encoded


_MESSAGE_ID = re.compile(r"<[!-;=?-~]+@[!-;=?-~]+>")  # printable ASCII, no angle brackets


def is_message_id(value: str) -> bool:
    """True for a well-formed ``<left@right>`` message id (one that can be referenced)."""
    return bool(_MESSAGE_ID.fullmatch(value))


def _message_id(value: str) -> str:
    if not is_message_id(value):
        raise ValueError(f"not a message id: {value!r}")
    return value


def is_unsubscribe_url(value: str) -> bool:
    """True for a URL that can go into ``List-Unsubscribe`` as it is: http(s), printable
    ASCII without blanks or angle brackets, at most 900 characters (one header line)."""
    return (
        value.startswith(("https://", "http://"))
        and len(value) <= 900
        and value.isascii()
        and value.isprintable()
        and not any(c in value for c in " <>")
    )


def _url(value: str) -> str:
    if not is_unsubscribe_url(value):
        raise ValueError(f"not an unsubscribe URL: {value!r}")
    return value


def _text(value: str) -> str:
    """A header's free text on one line: as it is when ASCII (folded at spaces when long),
    else RFC 2047 encoded words."""
    value = one_line(value)
    if not value.isascii():
        return Header(value, "utf-8").encode(linesep="\r\n")
    lines: list[str] = []
    line = ""
    for word in value.split(" "):
        if line and len(line) + 1 + len(word) > MAX_LINE - len("Subject: "):
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    return "\r\n ".join([*lines, line])


def is_address(value: str) -> bool:
    """True for a plain ASCII ``local@domain`` this desk can put in a header and an envelope
    (no display name, no comment; international addresses need SMTPUTF8, not supported)."""
    return value.isascii() and len(value) <= 320 and bool(_ADDRESS.fullmatch(value))


def _address(name: str | None, address: str) -> str:
    if not is_address(address):
        raise ValueError(f"not an address this desk can write to: {address!r}")
    return formataddr((one_line(name or ""), address), charset="utf-8")


MAX_LINE = 78
_ADDRESS = re.compile(r"[^@\s<>()\[\],;:\\\"]+@[^@\s<>()\[\],;:\\\"]+")
