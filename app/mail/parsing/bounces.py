"""Bounces: which addresses failed, whether for good, and the Message-ID of the mail that
bounced. RFC 3464 delivery status reports are read directly (even when their MIME structure is
broken); the many non-standard formats (Exim, Qmail, older Postfix, Exchange, Yahoo...) through
``flufl.bounce``; last, a plain-text notice from a mailer daemon naming the failed address."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from email import policy
from email.message import Message
from email.parser import BytesParser, HeaderParser

from app.mail.parsing.message import ParsedMail, enclosed_message

# The non-standard detectors (flufl.bounce's and the plain-notice reader) read the whole text,
# seconds for megabytes; a bounce's notice comes first, the returned message after it.
NOTICE_BYTES = 256 * 1024
_STATUS = re.compile(r"^\s*([245])\.\d{1,3}\.\d{1,3}")
_MESSAGE_ID = re.compile(r"<([^<>\s]+)>")
_MESSAGE_ID_LINE = re.compile(r"^message-id:\s*<([^<>\s]+)>", re.IGNORECASE | re.MULTILINE)
# The detectors read free text; what they take for an address must look like one.
_PLAUSIBLE_ADDRESS = re.compile(r"^[^@\s<>()=\"]+@[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}$")
# Bounded runs (an address's local part has at most 64 characters): a long run of letters
# without "@" would otherwise be rescanned from each of its characters.
_ADDRESS_IN_TEXT = re.compile(
    r"[\w.+'-]{1,64}@[a-z0-9-]{1,63}(?:\.[a-z0-9-]{1,63}){0,8}\.[a-z]{2,24}\b", re.IGNORECASE
)
_BOUNCE_SUBJECT = re.compile(
    r"undeliver|undelivered|returned mail|delivery (status notification|failure|failed|"
    r"has failed|problem)|failure notice|mail delivery failed|non.?delivery|delivery report",
    re.IGNORECASE,
)
_ROBOTS = ("mailer-daemon", "postmaster")
_ROBOT_SENDER = re.compile(r"mailer|daemon|postmaster|mail delivery|bounce", re.IGNORECASE)
_DELAYED_WORDS = re.compile(
    r"\b(delayed|will (be )?retr(y|ied)|still (being )?retr|temporar|not yet been delivered)\b",
    re.IGNORECASE,
)
_ORIGINAL_MARKER = re.compile(
    r"original message|returned message|message headers follow|undelivered message",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Bounce:
    """A delivery failure: the failed ``addresses`` (lower-cased), the bounced mail's
    ``original_message_id`` (no angle brackets) when the report carries it, ``permanent`` (5.x.x)
    or only delayed (4.x.x), and a ``reason`` a person can read."""

    addresses: list[str]
    original_message_id: str | None
    permanent: bool
    reason: str


def bounce_of(raw_or_parsed: bytes | ParsedMail | Message) -> Bounce | None:
    """The bounce a message reports, or ``None`` when it is not a bounce. Raw bytes are read
    even when ``parse`` refuses them (a report without ``From`` is still a report)."""
    message = _message(raw_or_parsed)
    if message is None:
        return None
    try:
        found = _delivery_status(message)
        if found is None and _may_be_a_bounce(message):
            notice = _message(raw_or_parsed, limit=NOTICE_BYTES) or message
            found = _non_standard(notice) or _plain_notice(notice)
    except Exception:  # a report broken enough to trip the readers is not a usable bounce
        return None
    if found is not None and found.original_message_id is None:
        found = Bounce(found.addresses, _original_id(message), found.permanent, found.reason)
    return found


def _message(source: bytes | ParsedMail | Message, *, limit: int | None = None) -> Message | None:
    """The message to read; ``limit``: of its first bytes only."""
    if isinstance(source, Message):
        return source
    raw = bytes(source.raw if isinstance(source, ParsedMail) else source).lstrip()
    try:
        return BytesParser(policy=policy.compat32).parsebytes(raw[:limit] if limit else raw)
    except Exception:
        return None


def _delivery_status(message: Message) -> Bounce | None:
    """An RFC 3464 report: the per-recipient fields of its ``message/delivery-status`` part (or,
    when the report's MIME structure is broken, the same fields found in its text)."""
    groups = [group for part in message.walk() for group in _status_groups(part)]
    if not groups and message.get_content_type() == "multipart/report":
        payload = message.get_payload()
        if isinstance(payload, str):
            groups = _groups_in_text(payload)
    failed: list[str] = []
    delayed: list[str] = []
    reasons: list[str] = []
    for fields in groups:
        action = fields.get("action", "").strip().lower()
        status = fields.get("status", "").strip()
        address = _recipient(fields.get("final-recipient") or fields.get("original-recipient"))
        if not address or action in ("delivered", "relayed", "expanded"):
            continue
        code = _STATUS.match(status)
        temporary = action == "delayed" or (code is not None and code.group(1) == "4")
        (delayed if temporary else failed).append(address)
        diagnostic = " ".join(fields.get("diagnostic-code", "").split())
        reasons.append(" ".join(filter(None, [status, diagnostic])))
    if not failed and not delayed:
        return None
    permanent = bool(failed)
    return Bounce(
        addresses=_unique(failed if permanent else delayed),
        original_message_id=None,
        permanent=permanent,
        reason="; ".join(_unique([r for r in reasons if r]))
        or ("failed" if permanent else "delayed"),
    )


def _status_groups(part: Message) -> list[dict[str, str]]:
    """The field groups of a ``message/delivery-status`` part (the per-message group has no
    recipient; the caller skips it)."""
    if part.get_content_type() != "message/delivery-status":
        return []
    payload = part.get_payload()
    if isinstance(payload, list):  # the email package splits the blocks into messages
        return [
            {key.lower(): str(value) for key, value in block.items()}
            for block in payload
            if isinstance(block, Message)
        ]
    return _groups_in_text(payload if isinstance(payload, str) else "")


def _groups_in_text(text: str) -> list[dict[str, str]]:
    groups = []
    for block in re.split(r"\r?\n[ \t]*\r?\n", text):
        if re.search(r"^(final|original)-recipient:", block, re.IGNORECASE | re.MULTILINE):
            headers = HeaderParser().parsestr(block.strip() + "\n")
            groups.append({key.lower(): str(value) for key, value in headers.items()})
    return groups


def _may_be_a_bounce(message: Message) -> bool:
    """Whether the headers hint at a delivery failure: the gate before the detectors, which
    read the whole text with many expressions (seconds for a message of megabytes)."""
    sender = str(message.get("from", ""))
    return (
        str(message.get("return-path", "")).strip() == "<>"
        or "auto-submitted" in message
        or bool(_ROBOT_SENDER.search(sender))
        or bool(_BOUNCE_SUBJECT.search(str(message.get("subject", ""))))
    )


def _non_standard(message: Message) -> Bounce | None:
    """The other formats, through ``flufl.bounce``'s detectors."""
    from flufl.bounce import all_failures

    logging.getLogger("flufl.bounce").setLevel(logging.CRITICAL)
    temporary, permanent = all_failures(message)
    addresses = _plausible(permanent) or _plausible(temporary)
    if not addresses:
        return None
    permanent_found = bool(_plausible(permanent))
    return Bounce(
        addresses=addresses,
        original_message_id=None,
        permanent=permanent_found,
        reason="failed" if permanent_found else "delayed",
    )


def _plain_notice(message: Message) -> Bounce | None:
    """A plain-text notice from a mailer daemon or postmaster, with a bounce's subject: the
    addresses it names before the returned message, other than its own sender and recipients."""
    sender = _recipient(str(message.get("from", ""))) or ""
    if sender.partition("@")[0] not in _ROBOTS and str(message.get("return-path", "")) != "<>":
        return None
    if not _BOUNCE_SUBJECT.search(str(message.get("subject", ""))):
        return None
    text = _first_text(message)
    marker = _ORIGINAL_MARKER.search(text)
    notice = text[: text.rfind("\n", 0, marker.start()) + 1] if marker else text
    own = {sender} | {
        address.lower()
        for name in ("to", "cc", "sender", "reply-to")
        for address in _ADDRESS_IN_TEXT.findall(str(message.get(name, "")))
    }
    addresses = [
        address
        for address in _unique([found.lower() for found in _ADDRESS_IN_TEXT.findall(notice)])
        if address not in own and address.partition("@")[0] not in _ROBOTS
    ]
    if not addresses:
        return None
    delayed = bool(_DELAYED_WORDS.search(notice))
    first_line = next((line.strip() for line in notice.splitlines() if line.strip()), "")
    return Bounce(
        addresses=addresses,
        original_message_id=None,
        permanent=not delayed,
        reason=first_line[:200] or ("delayed" if delayed else "failed"),
    )


def _first_text(message: Message) -> str:
    for part in message.walk():
        if part.get_content_maintype() == "text":
            data = part.get_payload(decode=True)
            if isinstance(data, bytes):
                try:
                    return data.decode(part.get_content_charset() or "utf-8", "replace")
                except LookupError:  # a charset Python does not know
                    return data.decode("utf-8", "replace")
    return ""


def _original_id(message: Message) -> str | None:
    """The bounced mail's Message-ID, from its enclosed ``message/rfc822`` or
    ``text/rfc822-headers`` part, else from the headers quoted in the notice's text."""
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
            found = _MESSAGE_ID.search(str(HeaderParser().parsestr(text).get("message-id", "")))
            if found:
                return found.group(1)
    quoted = _MESSAGE_ID_LINE.search(_first_text(message))
    return quoted.group(1) if quoted else None


def _recipient(value: str | None) -> str | None:
    """The address of a DSN recipient field (``rfc822; someone@example.com``) or a header."""
    if not value:
        return None
    _kind, separator, rest = value.partition(";")
    text = rest if separator else value
    found = _ADDRESS_IN_TEXT.search(text)
    return found.group(0).lower() if found else None


def _plausible(addresses: frozenset[bytes] | frozenset[str]) -> list[str]:
    decoded = [
        (address.decode("utf-8", "replace") if isinstance(address, bytes) else str(address))
        .strip()
        .strip("<>")
        .lower()
        for address in addresses
    ]
    return sorted(address for address in set(decoded) if _PLAUSIBLE_ADDRESS.match(address))


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))
