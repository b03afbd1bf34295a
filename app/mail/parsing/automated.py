"""Automated mail, recognised so that the desk never creates, reopens or answers from it (the
classic mail loop): RFC 3834 ``Auto-Submitted``, Microsoft's ``X-Auto-Response-Suppress``,
``Precedence``, the autoresponders' own headers, mailing lists, the null return path, the
mailer-daemon and postmaster senders, and reports (bounces, read receipts, complaints)."""

from __future__ import annotations

from typing import Any

from app.i18n import N_
from app.i18n.stored import english, stored
from app.mail.parsing.message import ParsedMail

AUTOMATED_PRECEDENCE = ("bulk", "junk", "list", "auto_reply")
ROBOT_SENDERS = ("mailer-daemon", "postmaster")
AUTORESPONDER_HEADERS = ("x-autoreply", "x-autorespond", "x-auto-response-suppress", "list-id")
HEADER = "%(header)s"  # a header as it was sent: nothing to translate


def automated_reason(mail: ParsedMail) -> str | None:
    """Why the message is automated, in English (the CLI, logs), or ``None`` for a person's
    mail."""
    reason = automated_message(mail)
    return None if reason is None else english(reason)


def automated_message(mail: ParsedMail) -> dict[str, Any] | None:
    """Why the message is automated as a stored message (:mod:`app.i18n.stored`) that the
    quarantine page words in its reader's language, or ``None`` for a person's mail. A header
    is named as it was sent."""
    headers = mail.headers
    auto_submitted = headers.get("auto-submitted", "").strip()
    if auto_submitted and auto_submitted.split(";")[0].strip().lower() != "no":
        return stored(HEADER, header=f"Auto-Submitted: {auto_submitted}")
    precedence = headers.get("precedence", "").strip().lower()
    if precedence in AUTOMATED_PRECEDENCE:
        return stored(HEADER, header=f"Precedence: {precedence}")
    for name in AUTORESPONDER_HEADERS:
        if name in headers:
            return stored(HEADER, header=f"{_title(name)}: {headers[name]}".rstrip(": "))
    if mail.return_path == "":
        return stored(N_("a null return path (<>)"))
    sender = (mail.from_address or "").partition("@")[0]
    if sender in ROBOT_SENDERS:
        return stored(N_("sent by %(address)s"), address=mail.from_address)
    content_type = headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "multipart/report":
        return stored(N_("a report (multipart/report)"))
    return None


def _title(name: str) -> str:
    """A header's usual spelling, for the reason shown to people."""
    spelled = {"list-id": "List-Id", "x-auto-response-suppress": "X-Auto-Response-Suppress"}
    return spelled.get(name, "-".join(word.capitalize() for word in name.split("-")))
