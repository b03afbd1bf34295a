"""Administering mailboxes, and what administrators do with the messages that were not
processed: process again, dismiss. Services flush; the view commits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import with_expression

from app import audit
from app.auth.models import Group
from app.db import bulk
from app.errors import Conflict, Invalid, NotFound, check_version
from app.extensions import db
from app.mail.incoming.models import InboundMessage, Mailbox, MessageState, Security, UnknownSenders

FIELDS = (
    "name",
    "address",
    "active",
    "assignment_group_id",
    "category",
    "impact",
    "urgency",
    "unknown_senders",
    "imap_host",
    "imap_port",
    "imap_security",
    "imap_username",
    "imap_folder",
    "processed_folder",
    "poll_seconds",
)


def _problems(values: dict[str, Any]) -> dict[str, str]:
    problems = {}
    address = values.get("address") or ""
    if "@" not in address or any(c.isspace() for c in address):
        problems["address"] = _("Give the mailbox's mail address, like servicedesk@example.com.")
    group_id = values.get("assignment_group_id")
    if group_id is not None:
        group = db.session.get(Group, group_id)
        if group is None or not group.is_assignment_group:
            problems["assignment_group_id"] = _("Choose an assignment group.")
    if values.get("imap_host") and not values.get("imap_username"):
        problems["imap_username"] = _("IMAP polling needs the account's user name.")
    return problems


def save_mailbox(
    mailbox: Mailbox | None,
    *,
    actor: Any,
    values: dict[str, Any],
    password: str | None = None,
    expected_version: Any = None,
) -> Mailbox:
    """Create (``mailbox`` None) or change a mailbox; an empty ``password`` keeps the stored
    one.

    :raise Invalid: a field is wrong (the database's unique names and addresses too).
    :raise Conflict: someone changed the mailbox since ``expected_version``.
    """
    unknown = set(values) - set(FIELDS)
    if unknown:
        raise TypeError(f"not mailbox fields: {sorted(unknown)}")
    values = dict(values, address=(values.get("address") or "").strip().lower())
    values["unknown_senders"] = UnknownSenders(values.get("unknown_senders") or "create")
    values["imap_security"] = Security(values.get("imap_security") or "ssl")
    problems = _problems(values)
    if problems:
        raise Invalid(problems)
    if mailbox is None:
        mailbox = Mailbox()
        db.session.add(mailbox)
        before: dict[str, Any] = {}
    else:
        check_version(mailbox, expected_version, f"Mailbox {mailbox.name}")
        before = {f: getattr(mailbox, f) for f in FIELDS}
    for field, value in values.items():
        setattr(mailbox, field, value)
    if password:
        mailbox.imap_password = password
    db.session.flush()
    changes = {f: [before.get(f), values[f]] for f in values if before.get(f) != values[f]}
    audit.record(actor, "mailbox", mailbox.id, "updated" if before else "created", changes)
    return mailbox


def get_message(message_id: int) -> InboundMessage:
    """:raise NotFound: no such received message."""
    found = db.session.get(InboundMessage, message_id)
    if found is None:
        raise NotFound(_("There is no such received message."))
    return found


def dismiss(message: InboundMessage, *, actor: Any) -> None:
    """An administrator looked at an ignored or quarantined message and let it go; its raw
    bytes are dropped.

    :raise Conflict: the message was processed or dismissed already.
    """
    if message.state not in (MessageState.IGNORED, MessageState.QUARANTINED):
        raise Conflict(_("This message is %(state)s already.", state=message.state.value))
    audit.record(
        actor,
        "inbound_message",
        message.id,
        "dismissed",
        {"state": [message.state.value, "dismissed"]},
    )
    message.state = MessageState.DISMISSED
    message.raw = None
    db.session.flush()


def pending(state: MessageState | None) -> Any:
    """The query of the quarantine page: messages not processed, newest first."""
    states = [state] if state else [MessageState.QUARANTINED, MessageState.IGNORED]
    return (
        select(InboundMessage)
        .options(with_expression(InboundMessage.kept, InboundMessage.raw.is_not(None)))
        .where(InboundMessage.state.in_(states))
        .order_by(InboundMessage.received_at.desc(), InboundMessage.id.desc())
    )


def purge_raw(before: datetime) -> int:
    """Drop the bytes of the messages ignored or dismissed that arrived before ``before``
    (their rows stay, with the sender, subject and reason, and still recognise the message if
    it comes again); how many. Quarantined messages keep theirs until an administrator acts."""
    return bulk(
        db.session,
        update(InboundMessage)
        .where(
            InboundMessage.state.in_([MessageState.IGNORED, MessageState.DISMISSED]),
            InboundMessage.received_at < before,
            InboundMessage.raw.is_not(None),
        )
        .values(raw=None),
    )
