"""Bounces: which addresses failed, whether for good, and the Message-ID of the mail that
bounced. RFC 3464 delivery status reports are read directly; the many non-standard formats
(Exim, Qmail, Postfix's older ones, Exchange, Yahoo...) through ``flufl.bounce``."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from email import policy
from email.message import Message
from email.parser import BytesParser, HeaderParser

from app.mail.parsing.message import ParsedMail, enclosed_message

_STATUS = re.compile(r"^\s*([245])\.\d{1,3}\.\d{1,3}")
_MESSAGE_ID = re.compile(r"<([^<>\s]+)>")
# The detectors read free text; what they take for an address must look like one.
_PLAUSIBLE_ADDRESS = re.compile(r"^[^@\s<>()=]+@[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}$")


@dataclass(frozen=True)
class Bounce:
    """A delivery failure: the failed ``addresses`` (lower-cased), the bounced mail's
    ``original_message_id`` (no angle brackets) when the report carries it, ``permanent`` (5.x.x)
    or delayed (4.x.x), and a ``reason`` a person can read."""

    addresses: list[str]
    original_message_id: str | None
    permanent: bool
    reason: str


def bounce_of(raw_or_parsed: bytes | ParsedMail | Message) -> Bounce | None:
    """The bounce a message reports, or ``None`` when it is not a bounce. Give the raw bytes when
    you have them (``ParsedMail`` keeps no raw copy; its ``.eml`` attachments are read instead)."""
    message = _message(raw_or_parsed)
    if message is None:
        return None
    try:
        found = _delivery_status(message) or _non_standard(message)
    except Exception:  # a report broken enough to trip the readers is not a usable bounce
        return None
    return found


def _message(source: bytes | ParsedMail | Message) -> Message | None:
    if isinstance(source, Message):
        return source
    if isinstance(source, ParsedMail):
        return _rebuilt(source) if not source.raw else _message(source.raw)
    try:
        return BytesParser(policy=policy.compat32).parsebytes(bytes(source).lstrip())
    except Exception:
        return None


def _rebuilt(mail: ParsedMail) -> Message:
    """A compat32 message standing in for a parsed one: its headers, its text, its enclosed
    message; enough for the detectors, which read headers and text."""
    from email.mime.multipart import MIMEMultipart
    from email.mime.text import MIMEText

    message = MIMEMultipart("mixed")
    for name, value in mail.headers.items():
        if name not in ("content-type", "mime-version", "content-transfer-encoding"):
            message[name] = value
    message.attach(MIMEText(mail.text, "plain", "utf-8"))
    for part in mail.attachments:
        if part.content_type in ("message/rfc822", "text/rfc822-headers"):
            enclosed = MIMEText(part.data.decode("utf-8", "replace"), "rfc822-headers", "utf-8")
            message.attach(enclosed)
    return message


def _delivery_status(message: Message) -> Bounce | None:
    """An RFC 3464 report: ``multipart/report; report-type=delivery-status``."""
    if message.get_content_type() != "multipart/report":
        return None
    if str(message.get_param("report-type") or "").lower() != "delivery-status":
        return None
    failed: list[str] = []
    delayed: list[str] = []
    reasons: list[str] = []
    for part in message.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        for fields in _status_groups(part):
            action = fields.get("action", "").lower()
            status = fields.get("status", "")
            address = _address(fields.get("final-recipient") or fields.get("original-recipient"))
            if not address or action in ("delivered", "relayed", "expanded"):
                continue
            code = _STATUS.match(status)
            temporary = action == "delayed" or (code is not None and code.group(1) == "4")
            (delayed if temporary else failed).append(address)
            reasons.append(
                " ".join(filter(None, [status.strip(), fields.get("diagnostic-code", "").strip()]))
            )
    if not failed and not delayed:
        return None
    permanent = bool(failed)
    return Bounce(
        addresses=_unique(failed if permanent else delayed),
        original_message_id=_original_id(message),
        permanent=permanent,
        reason="; ".join(_unique([r for r in reasons if r]))
        or ("failed" if permanent else "delayed"),
    )


def _status_groups(part: Message) -> list[dict[str, str]]:
    """The per-recipient field groups of a ``message/delivery-status`` part (the first group,
    per-message, has no recipient and is skipped by the caller)."""
    payload = part.get_payload()
    groups: list[dict[str, str]] = []
    if isinstance(payload, list):  # the email package splits the blocks into messages
        for block in payload:
            if isinstance(block, Message):
                groups.append({key.lower(): str(value) for key, value in block.items()})
        return groups
    text = payload if isinstance(payload, str) else ""
    for block in re.split(r"\r?\n\s*\r?\n", text):
        headers = HeaderParser().parsestr(block.strip() + "\n")
        groups.append({key.lower(): str(value) for key, value in headers.items()})
    return groups


def _non_standard(message: Message) -> Bounce | None:
    """The other formats, through ``flufl.bounce``'s detectors."""
    from flufl.bounce import all_failures

    logging.getLogger("flufl.bounce").setLevel(logging.CRITICAL)
    temporary, permanent = all_failures(message)
    addresses = permanent or temporary
    decoded = _unique(
        [
            (address.decode("utf-8", "replace") if isinstance(address, bytes) else str(address))
            .strip()
            .strip("<>")
            .lower()
            for address in addresses
        ]
    )
    decoded = [address for address in decoded if _PLAUSIBLE_ADDRESS.match(address)]
    if not decoded:
        return None
    return Bounce(
        addresses=sorted(decoded),
        original_message_id=_original_id(message),
        permanent=bool(permanent),
        reason="failed" if permanent else "delayed",
    )


def _original_id(message: Message) -> str | None:
    """The bounced mail's Message-ID, from its enclosed ``message/rfc822`` (or
    ``text/rfc822-headers``) part."""
    for part in message.walk():
        ctype = part.get_content_type()
        if ctype == "message/rfc822":
            enclosed = enclosed_message(part)
            if enclosed is not None:
                found = _MESSAGE_ID.search(str(enclosed.get("message-id", "")))
                if found:
                    return found.group(1)
        elif ctype == "text/rfc822-headers":
            data = part.get_payload(decode=True)
            text = data.decode("utf-8", "replace") if isinstance(data, bytes) else ""
            headers = HeaderParser().parsestr(text)
            found = _MESSAGE_ID.search(str(headers.get("message-id", "")))
            if found:
                return found.group(1)
    return None


def _address(value: str | None) -> str | None:
    if not value:
        return None
    kind, _, address = value.partition(";")
    address = (address if _ else kind).strip().strip("<>").strip()
    return address.lower() if "@" in address else None


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))
