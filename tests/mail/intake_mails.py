"""Real message bytes for the mail-in tests, built with the standard library as a mail client
would send them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from app.timeutils import utc_now


def mail(
    sender: str = "kim@example.com",
    subject: str = "Printer on floor 3 is jammed",
    body: str = "Hello,\n\nthe printer near the kitchen jams on every page.\n\nKim",
    *,
    to: str = "servicedesk@example.com",
    name: str = "Kim Lee",
    message_id: str | None = None,
    in_reply_to: str | None = None,
    references: str | None = None,
    headers: dict[str, str] | None = None,
    files: Sequence[tuple[str, str, bytes]] = (),
    with_message_id: bool = True,
) -> bytes:
    """One message; ``files`` are ``(filename, content type, data)`` attachments."""
    message = EmailMessage()
    message["From"] = f"{name} <{sender}>" if name else sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(utc_now())
    if with_message_id:
        message["Message-ID"] = message_id or make_msgid(uuid.uuid4().hex[:8], "mail.example.com")
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    if references or in_reply_to:
        message["References"] = references or in_reply_to
    for key, value in (headers or {}).items():
        message[key] = value
    message.set_content(body)
    for filename, content_type, data in files:
        main, sub = content_type.split("/")
        message.add_attachment(data, maintype=main, subtype=sub, filename=filename)
    return bytes(message)


def message_id_of(raw: bytes) -> str:
    from email import message_from_bytes

    return str(message_from_bytes(raw)["Message-ID"]).strip()
