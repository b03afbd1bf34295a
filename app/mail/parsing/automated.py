"""Automated mail, recognised so that the desk never creates, reopens or answers from it (the
classic mail loop): RFC 3834 ``Auto-Submitted``, Microsoft's ``X-Auto-Response-Suppress``,
``Precedence``, the autoresponders' own headers, mailing lists, the null return path, the
mailer-daemon and postmaster senders, and reports (bounces, read receipts, complaints)."""

from __future__ import annotations

from app.mail.parsing.message import ParsedMail

AUTOMATED_PRECEDENCE = ("bulk", "junk", "list", "auto_reply")
ROBOT_SENDERS = ("mailer-daemon", "postmaster")
AUTORESPONDER_HEADERS = ("x-autoreply", "x-autorespond", "x-auto-response-suppress", "list-id")


def automated_reason(mail: ParsedMail) -> str | None:
    """Why the message is automated, as a person would read it, or ``None`` for a person's mail."""
    headers = mail.headers
    auto_submitted = headers.get("auto-submitted", "").strip()
    if auto_submitted and auto_submitted.split(";")[0].strip().lower() != "no":
        return f"Auto-Submitted: {auto_submitted}"
    precedence = headers.get("precedence", "").strip().lower()
    if precedence in AUTOMATED_PRECEDENCE:
        return f"Precedence: {precedence}"
    for name in AUTORESPONDER_HEADERS:
        if name in headers:
            return f"{_title(name)}: {headers[name]}".rstrip(": ")
    if mail.return_path == "":
        return "a null return path (<>)"
    sender = (mail.from_address or "").partition("@")[0]
    if sender in ROBOT_SENDERS:
        return f"sent by {mail.from_address}"
    content_type = headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "multipart/report":
        return "a report (multipart/report)"
    return None


def _title(name: str) -> str:
    """A header's usual spelling, for the reason shown to people."""
    spelled = {"list-id": "List-Id", "x-auto-response-suppress": "X-Auto-Response-Suppress"}
    return spelled.get(name, "-".join(word.capitalize() for word in name.split("-")))
