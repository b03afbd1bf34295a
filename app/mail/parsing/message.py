"""One RFC 5322 message read into plain data: addresses, threading ids, text, the new part of a
reply, attachments. Python's ``email``: header values are read with ``policy.default`` (encoded
words, address lists), falling back to ``compat32``'s decoding where it raises; the MIME
structure is parsed once, with ``compat32``, whose tolerant part reading this module decodes
itself (every charset Python knows; unknown ones with replacement). Parsing the bytes a second
time with ``policy.default`` would double the cost of large mail for no gain. Nothing escapes
but ``Unreadable``, which carries the reason a person will read in the quarantine.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.header import decode_header, make_header
from email.message import Message
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from types import MappingProxyType
from typing import Any

from app.i18n import N_
from app.i18n.stored import english, stored
from app.mail.parsing.files import clean_filename
from app.mail.parsing.text import html_to_text, reply_of

MAX_BYTES = 25 * 2**20
MAX_PARTS = 2000  # real mail has dozens; tens of thousands are an attack on the walk
MAX_MULTIPARTS = 300  # containers (boundaries); real mail has a handful, a digest dozens
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_FIELD_LINE = re.compile(rb"^(From |[\x21-\x39\x3b-\x7e]+[ \t]*:)")
# Some stores pad a message with a line of spaces before its headers; no header starts so.
_LEADING_BLANK_LINES = re.compile(rb"\A(?:[ \t]*\r?\n)+")
_LOOKS_HTML = re.compile(r"<(html|body|div|p|br|table)\b", re.IGNORECASE)
# Bounded runs (a local part has at most 64 characters, a domain 255): an unbounded run would
# be rescanned from each of its characters, quadratic on a long header.
_ATOM = r"[^\s<>()\",;:@\[\]]"
_LABEL = r"[^\s<>()\",;:@\[\].]"
_ADDRESS = re.compile(rf"^{_ATOM}{{1,64}}@{_LABEL}{{1,63}}(?:\.{_LABEL}{{1,63}}){{1,8}}$")
_ADDRESS_IN_TEXT = re.compile(
    rf"{_ATOM}{{1,64}}@[a-zA-Z0-9-]{{1,63}}(?:\.[a-zA-Z0-9-]{{1,63}}){{1,8}}"
)
_SURROGATES = re.compile("[\udc80-\udcff]")
_BOUNDARY = re.compile(rb"boundary\s*=", re.IGNORECASE)
_MESSAGE_ID = re.compile(r"<([^<>\s]+)>")
# Why a message is unreadable (more below, where they are found), worded for each reader:
NESTED = stored(N_("MIME parts nested too deeply"))
NO_HEADERS = stored(N_("no message headers: not an RFC 5322 message"))
TOO_MANY_PARTS = stored(N_("more than %(count)s MIME parts"), count=MAX_PARTS)


class Unreadable(Exception):
    """The message cannot be handled; ``text`` says why, for the quarantine (a stored message,
    worded for each reader); ``reason`` and ``str()`` are the English."""

    def __init__(self, text: dict[str, Any]) -> None:
        super().__init__(english(text))
        self.text = text
        self.reason = english(text)


@dataclass(frozen=True)
class Part:
    """An attachment or an inline image (``inline`` with its ``content_id``, no angle brackets)."""

    filename: str
    content_type: str
    data: bytes
    inline: bool
    content_id: str | None


@dataclass(frozen=True)
class ParsedMail:
    """What the desk needs of a message. Message-IDs are given without their angle brackets;
    addresses are lower-cased; ``return_path`` is ``""`` for the null path ``<>`` and ``None``
    when the header is missing; ``date`` is aware, in UTC."""

    message_id: str | None
    in_reply_to: list[str]
    references: list[str]
    from_address: str | None
    from_name: str
    to: list[str]
    cc: list[str]
    reply_to: str | None
    return_path: str | None
    subject: str
    date: datetime | None
    text: str
    reply: str
    attachments: list[Part]
    headers: Mapping[str, str] = field(repr=False)
    size: int
    raw: bytes = field(default=b"", repr=False, compare=False)  # the bytes read, for bounce_of


def parse(raw: bytes, *, max_bytes: int = MAX_BYTES) -> ParsedMail:
    """Read one message; raise ``Unreadable`` with a reason when it cannot be handled."""
    raw = bytes(raw)
    _refuse_unreadable(raw, max_bytes)
    content = _LEADING_BLANK_LINES.sub(b"", raw, count=1)
    try:
        message = BytesParser(policy=policy.compat32).parsebytes(content)
    except RecursionError as error:
        raise Unreadable(NESTED) from error
    except Exception as error:  # the parser is meant never to raise; be sure
        raise Unreadable(
            stored(N_("the message cannot be parsed: %(error)s"), error=str(error))
        ) from error
    headers = _Headers(message)
    if not headers.raw:
        raise Unreadable(NO_HEADERS)
    if headers.get("from") is None:
        raise Unreadable(stored(N_("no From header")))
    from_name, from_address = _first_address(headers.get("from"))
    body = _Body()
    try:
        body.walk(message)
        text = body.text()
    except Unreadable:
        raise
    except RecursionError as error:
        raise Unreadable(NESTED) from error
    except Exception as error:  # not seen in any real message; never let it escape
        raise Unreadable(
            stored(N_("the message body cannot be read: %(error)s"), error=repr(error))
        ) from error
    return ParsedMail(
        message_id=_first_id(headers.get("message-id")),
        in_reply_to=_ids(headers.get("in-reply-to")),
        references=_ids(headers.get("references")),
        from_address=from_address,
        from_name=from_name,
        to=_addresses(headers.get_all("to")),
        cc=_addresses(headers.get_all("cc")),
        reply_to=_first_address(headers.get("reply-to"))[1],
        return_path=_return_path(headers.get("return-path")),
        subject=_unfold(headers.get("subject") or ""),
        date=_date(headers.get("date")),
        text=text,
        reply=reply_of(text),
        attachments=body.attachments,
        headers=MappingProxyType(headers.first_values()),
        size=len(raw),
        raw=raw,
    )


def _refuse_unreadable(raw: bytes, max_bytes: int) -> None:
    if not raw.strip():
        raise Unreadable(stored(N_("an empty message")))
    if len(raw) > max_bytes:
        raise Unreadable(
            stored(
                N_("the message is %(size)s bytes, over the limit of %(limit)s"),
                size=len(raw),
                limit=max_bytes,
            )
        )
    if raw.startswith(OLE2_MAGIC):
        raise Unreadable(stored(N_("an Outlook .msg file, not an RFC 5322 message")))
    # Before the parser spends seconds (its boundary checks are quadratic in the nesting):
    if raw.count(b"\n--") > 4 * MAX_PARTS:
        raise Unreadable(TOO_MANY_PARTS)
    if len(_BOUNDARY.findall(raw)) > MAX_MULTIPARTS:
        raise Unreadable(
            stored(N_("more than %(count)s multipart containers"), count=MAX_MULTIPARTS)
        )
    head = _LEADING_BLANK_LINES.sub(b"", raw[:4096], count=1)
    if not _FIELD_LINE.match(head):
        if b"\x00" in head or _controls(head) > len(head) // 10:
            raise Unreadable(stored(N_("binary data, not an RFC 5322 message")))
        raise Unreadable(NO_HEADERS)


def _controls(data: bytes) -> int:
    return sum(1 for byte in data if byte < 32 and byte not in (9, 10, 13))


class _Headers:
    """Header values as decoded strings: ``policy.default``'s reading of each raw value, or
    ``compat32``'s decoding of encoded words where that raises or the value is huge (the
    default policy's parser is slow on a header of hundreds of kilobytes)."""

    HUGE = 4 * 1024  # policy.default's address parser takes seconds on 14 KB of odd syntax
    LONGEST = 64 * 1024  # what is read of a value (the standard library's readers are slow)

    def __init__(self, message: Message) -> None:
        self.raw: dict[str, list[str]] = {}
        for name, value in message.raw_items():
            self.raw.setdefault(name.lower(), []).append(str(value))

    def get_all(self, name: str) -> list[str]:
        return [self._decoded(name, value) for value in self.raw.get(name, [])]

    def get(self, name: str) -> str | None:
        values = self.raw.get(name)
        return self._decoded(name, values[0]) if values else None

    def first_values(self) -> dict[str, str]:
        return {name: _unfold(self._decoded(name, values[0])) for name, values in self.raw.items()}

    @staticmethod
    def _decoded(name: str, value: str) -> str:
        value = raw_8bit_text(value[: _Headers.LONGEST])
        if len(value) <= _Headers.HUGE:
            try:
                return str(policy.default.header_fetch_parse(name, value))
            except Exception:
                pass
        return _decode_words(value)


def raw_8bit_text(value: str) -> str:
    """A header value with raw 8-bit bytes (which the parser keeps as surrogate escapes) as
    text: UTF-8 when the bytes are UTF-8, else Windows-1252 (what such mailers mostly send)."""
    if not _SURROGATES.search(value):
        return value
    data = value.encode("utf-8", "surrogateescape")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", "replace")


def _decode_words(value: object) -> str:
    """A compat32 header value (a string with encoded words, or a ``Header``) as text."""
    try:
        return str(make_header(decode_header(str(value))))
    except Exception:
        try:
            return "".join(
                chunk.decode(_codec(charset), "replace") if isinstance(chunk, bytes) else chunk
                for chunk, charset in decode_header(str(value))
            )
        except Exception:
            return str(value)


def _unfold(value: str) -> str:
    return " ".join(value.split())


def _ids(value: str | None) -> list[str]:
    if not value:
        return []
    found = _MESSAGE_ID.findall(value)
    return found if found else value.split()


def _first_id(value: str | None) -> str | None:
    ids = _ids(value)
    return ids[0] if ids else None


def _addresses(values: list[str]) -> list[str]:
    """The addresses of address headers, lower-cased; a list the standard parser garbles
    (unbalanced quotes or brackets) is read for anything that looks like an address."""
    try:
        pairs = getaddresses(values)
    except Exception:
        pairs = []
    found = [address.lower() for _name, address in pairs if "@" in address]
    if found and all(_ADDRESS.match(address) for address in found):
        return found
    return [address.lower() for address in _ADDRESS_IN_TEXT.findall(" ".join(values))]


def _first_address(value: str | None) -> tuple[str, str | None]:
    """The display name and address of a sender header (the first mailbox in it)."""
    if not value:
        return "", None
    try:
        pairs = getaddresses([value])
    except Exception:
        pairs = []
    for name, address in pairs:
        if _ADDRESS.match(address):
            return _unfold(name), address.lower()
    found = _ADDRESS_IN_TEXT.findall(value)
    if found:
        name = value[: value.find(found[-1])].strip(" \t<\"'")
        return _unfold(name.strip(" \t<\"'(")), found[-1].lower()
    return _unfold(pairs[0][0]) if pairs else "", None


def _return_path(value: str | None) -> str | None:
    if value is None:
        return None
    inner = value.strip().strip("<>").strip()
    return inner.lower()


def _date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = parsedate_to_datetime(value)
    except Exception:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _codec(charset: str | None) -> str:
    """A codec name Python knows for a MIME charset; unknown ones read as UTF-8 with
    replacement (the caller decodes with ``errors="replace"``)."""
    if not charset:
        return "utf-8"
    name = charset.strip().strip("\"'").lower()
    if name in ("unknown-8bit", "x-unknown", "x-user-defined"):
        return "utf-8"
    try:
        return codecs.lookup(name).name
    except LookupError:
        return "utf-8"


def _decoded_text(part: Message) -> str:
    data = _payload(part)
    codec = _codec(part.get_content_charset())
    try:
        return data.decode(codec, "replace")
    except Exception:  # a codec that refuses "replace" (it happens with some multibyte ones)
        return data.decode("utf-8", "replace")


def _payload(part: Message) -> bytes:
    payload = part.get_payload(decode=True)
    if isinstance(payload, bytes):
        return payload
    if payload is None:
        raw = part.get_payload()
        if isinstance(raw, str):
            return raw.encode("utf-8", "surrogateescape")
        return b""
    return bytes(payload)


def enclosed_message(part: Message) -> Message | None:
    """The message a ``message/rfc822`` part encloses, when the parser found one."""
    inner = part.get_payload()
    if isinstance(inner, list) and inner and isinstance(inner[0], Message):
        return inner[0]
    return None


def _message_bytes(part: Message) -> bytes:
    """An enclosed message (``message/rfc822``) as bytes for an ``.eml`` attachment."""
    enclosed = enclosed_message(part)
    if enclosed is not None:
        for chosen in (policy.compat32, policy.default):
            try:
                return enclosed.as_bytes(policy=chosen)
            except Exception:
                continue
        return enclosed.as_string(policy=policy.compat32).encode("utf-8", "replace")
    return _payload(part)


class _Body:
    """The walk over a message's parts: body text (plain preferred, HTML turned into text when
    there is no plain part) and attachments, enclosed messages as ``.eml`` files."""

    def __init__(self) -> None:
        self.plain: list[str] = []
        self.html: list[str] = []
        self.attachments: list[Part] = []
        self.parts = 0

    def text(self) -> str:
        """The plain parts, or the HTML ones as text when the plain ones are blank."""
        plain = [_lines(chunk).strip() for chunk in self.plain]
        if not any(plain):
            plain = [html_to_text(chunk) for chunk in self.html]
        return "\n\n".join(chunk for chunk in plain if chunk)

    def walk(self, part: Message, *, body_allowed: bool = True) -> None:
        self.parts += 1
        if self.parts > MAX_PARTS:
            raise Unreadable(TOO_MANY_PARTS)
        ctype = part.get_content_type()
        maintype = ctype.partition("/")[0]
        if ctype in ("message/rfc822", "message/global"):
            self._attach_message(part)
        elif maintype == "message" and part.is_multipart():
            self._attach_report(part, ctype)  # delivery-status, disposition-notification...
        elif part.is_multipart():
            self._walk_children(part, ctype, body_allowed)
        elif maintype == "multipart":  # no boundary found: read it as text
            if body_allowed:
                text = _decoded_text(part)
                (self.html if _LOOKS_HTML.search(text) else self.plain).append(text)
        else:
            self._leaf(part, ctype, body_allowed)

    def _walk_children(self, part: Message, ctype: str, body_allowed: bool) -> None:
        children = [child for child in _children(part)]
        if ctype == "multipart/alternative" and children:
            chosen = _preferred(children)
            for child in children:
                self.walk(child, body_allowed=body_allowed and child is chosen)
        else:
            for child in children:
                self.walk(child, body_allowed=body_allowed)

    def _leaf(self, part: Message, ctype: str, body_allowed: bool) -> None:
        disposition = _safe(part.get_content_disposition)
        filename = _filename(part)
        if body_allowed and ctype in BODY_TYPES and disposition != "attachment" and not filename:
            (self.plain if ctype == "text/plain" else self.html).append(_decoded_text(part))
            return
        if not body_allowed and ctype in BODY_TYPES and not filename and disposition is None:
            return  # the other rendering of a multipart/alternative
        content_id = _content_id(part)
        self.attachments.append(
            Part(
                filename=clean_filename(filename, ctype, len(self.attachments) + 1),
                content_type=ctype,
                data=_payload(part),
                inline=disposition == "inline" or (disposition is None and bool(content_id)),
                content_id=content_id,
            )
        )

    def _attach_report(self, part: Message, ctype: str) -> None:
        """A report part (``message/delivery-status`` and the like: field blocks the parser
        reads as headers) kept as the text it was."""
        blocks = [block.as_string(policy=policy.compat32) for block in _children(part)]
        self.attachments.append(
            Part(
                filename=clean_filename(None, ctype, len(self.attachments) + 1),
                content_type=ctype,
                data="".join(blocks).encode("utf-8", "surrogateescape"),
                inline=False,
                content_id=None,
            )
        )

    def _attach_message(self, part: Message) -> None:
        filename = _safe(part.get_filename)
        if not filename:
            enclosed = enclosed_message(part)
            subject = enclosed.get("subject") if enclosed is not None else None
            filename = _decode_words(subject) if subject else "message"
        if not filename.lower().endswith(".eml"):
            filename = f"{filename}.eml"
        self.attachments.append(
            Part(
                filename=clean_filename(filename, "message/rfc822", len(self.attachments) + 1),
                content_type="message/rfc822",
                data=_message_bytes(part),
                inline=False,
                content_id=None,
            )
        )


BODY_TYPES = ("text/plain", "text/html")


def _lines(text: str) -> str:
    """Unix line ends."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _children(part: Message) -> Iterator[Message]:
    payload = part.get_payload()
    if isinstance(payload, list):
        yield from (child for child in payload if isinstance(child, Message))


def _preferred(children: list[Message]) -> Message:
    """The rendering a desk reads: plain text when there is some, else the first HTML, else the
    last (RFC 2046's richest). A blank plain part beside an HTML one is not chosen."""
    for wanted in ("text/plain", "text/html"):
        for child in children:
            if child.get_content_type() != wanted or _safe(child.get_filename):
                continue
            if wanted == "text/html" or _decoded_text(child).strip():
                return child
    return children[-1]


def _filename(part: Message) -> str | None:
    """The part's file name; raw 8-bit bytes in its header (sent unencoded by some mailers,
    which ``email`` turns into replacement characters) are read as UTF-8 or Windows-1252."""
    name = _safe(part.get_filename)
    if not name or "\ufffd" not in name:
        return name
    probe = Message()
    for header, value in part.raw_items():
        if header.lower() in ("content-disposition", "content-type"):
            probe[header] = raw_8bit_text(str(value))
    return _safe(probe.get_filename) or name


def _content_id(part: Message) -> str | None:
    value = _safe(lambda: part.get("content-id"))
    if not value:
        return None
    inner = str(value).strip().strip("<>").strip()
    return inner or None


def _safe(read):  # type: ignore[no-untyped-def]
    """A header-derived value, or ``None`` when the header cannot be read."""
    try:
        value = read()
    except Exception:
        return None
    if value is None:
        return None
    return str(value) if not isinstance(value, str) else value
