"""Notification mails: rendered from this domain's Jinja templates (text and HTML, times in the
recipient's zone, absolute links from ``DESKGRAPH_BASE_URL``) and handed to the mail channel's
``queue_mail``, which threads, sends after commit and records."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import gettext

from app.errors import Invalid
from app.extensions import db
from app.i18n import stored
from app.i18n.locale import in_language_of
from app.mail.incoming.services import opening_message_id
from app.mail.outgoing.services import queue_mail
from app.notifications import signals
from app.notifications.headlines import headline
from app.notifications.models import MailState, Notification
from app.notifications.rules import STAFF_ONLY
from app.requests.approvals import links
from app.tickets.models import JournalEntry, TicketKind

BLANK_LINES = re.compile(r"\n{3,}")
APPROVAL_KINDS = frozenset({"approval_needed", "approval_reminder"})
TICKET_ENDPOINTS = {
    TicketKind.INCIDENT: "incidents.detail",
    TicketKind.REQUEST: "requests.detail",
    TicketKind.REQUEST_ITEM: "requests.detail",
    TicketKind.CATALOG_TASK: "requests.task",
}


def target(note: Notification) -> tuple[str, dict[str, Any]]:
    """The page a notification opens (endpoint, values): the approval it asks for, or its
    ticket's page (which shows each person what they may see of it)."""
    data = note.event.data if note.event is not None else {}
    if note.kind in APPROVAL_KINDS and data.get("approval_id"):
        return "requests.approval", {"approval_id": data["approval_id"]}
    ticket = note.ticket
    if ticket.kind == TicketKind.CATALOG_TASK and note.kind not in STAFF_ONLY:
        # A requester follows a task (waiting for them, a reply) on their request's page.
        return "requests.detail", {"number": ticket.item.number}
    return TICKET_ENDPOINTS[ticket.kind], {"number": ticket.number}


def absolute_url(endpoint: str, **values: Any) -> str:
    """An address outside any request: the routes' path under ``DESKGRAPH_BASE_URL``."""
    base = urlsplit(current_app.config["DESKGRAPH_BASE_URL"])
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "http"
    )
    return adapter.build(endpoint, values, force_external=True)


def link(note: Notification) -> str:
    """The absolute address of the page a notification opens."""
    endpoint, values = target(note)
    return absolute_url(endpoint, **values)


@dataclass
class Mail:
    subject: str
    text: str
    html: str


def render(note: Notification) -> Mail:
    """The mail for one notification, as its recipient reads it: in their language (subject
    included) and time zone."""
    with in_language_of(note.recipient):
        return _render(note)


def _render(note: Notification) -> Mail:
    user = note.recipient
    subject = headline(note)
    zone = user.timezone or current_app.config["DESKGRAPH_TIMEZONE"]
    context: dict[str, Any] = {
        "note": note,
        "subject": subject,
        "ticket": note.ticket,
        "recipient": user,
        "zone": zone,
        "link": link(note),
        "preferences_link": absolute_url("notifications.preferences"),
        "body": _entry_text(note),
        "item": None,
        "decision_links": {},
    }
    if note.kind in APPROVAL_KINDS:
        context.update(_approval_context(note))
    for _receiver, extra in signals.mail_context.send(note):
        context.update(extra or {})
    return Mail(
        subject=subject,
        text=plain(mail_template("notifications/mail/notification.txt", **context)),
        html=mail_template("notifications/mail/notification.html", **context),
    )


def _entry_text(note: Notification) -> str:
    """The reply a notification is about (a work note only to staff: the rules decide who), a
    line the desk wrote in the recipient's language (the mail is rendered in it)."""
    entry_id = (note.event.data or {}).get("entry_id") if note.event is not None else None
    if note.kind not in ("public_reply", "caller_replied", "work_note") or not entry_id:
        return ""
    entry = db.session.get(JournalEntry, entry_id)
    if entry is None or (note.kind != "work_note" and not entry.is_public):
        return ""
    return stored.render(entry.message, gettext) if entry.message else entry.body


def _approval_context(note: Notification) -> dict[str, Any]:
    from app.requests.models import Approval
    from app.requests.status import answers_of

    approval = db.session.get(
        Approval,
        (note.event.data or {}).get("approval_id"),
    )
    if approval is None:
        return {}
    return {
        "item": approval.item,
        "answers": answers_of(approval.item),
        "decision_links": _decision_links(approval, note.recipient),
    }


def _decision_links(approval: Any, recipient: Any) -> dict[str, str]:
    """One-click approve / reject links for the person the mail goes to (the approver or
    their delegate): each opens a confirmation page (the GET never decides)."""
    return {
        decision: links.decision_url(approval, recipient, decision) for decision in links.DECISIONS
    }


def plain(text: str) -> str:
    """A text mail without the runs of blank lines its template's skipped sections leave."""
    return BLANK_LINES.sub("\n\n", text)


def mail_template(name: str, **context: Any) -> str:
    """A mail template, rendered without the page's context processors (a mail is rendered
    after commit, outside any request)."""
    return current_app.jinja_env.get_template(name).render(**context)


def mail_notification(note: Notification) -> None:
    """Render and queue the mail of one notification. An address the mail channel refuses
    (not a mail address) leaves the notification in the app only, marked so."""
    mail = render(note)
    try:
        queue_mail(
            to_address=note.recipient.email,
            subject=mail.subject,
            text=mail.text,
            html=mail.html,
            ticket=note.ticket,
            recipient=note.recipient,
            notification_id=note.id,
            in_reply_to=opening_message_id(note.ticket_id) if note.kind == "received" else None,
        )
    except Invalid:
        note.mail = MailState.NO_ADDRESS
