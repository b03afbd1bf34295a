"""Mail in: the mailboxes the desk reads and every message it received.

A :class:`Mailbox` is one address people write to, with the defaults of the incidents its mail
opens and, when it is read by IMAP polling, its server settings. An :class:`InboundMessage` is
one received message and what became of it (a ticket created or answered, or why it was
ignored or quarantined); its ``message_id`` is unique, which makes receiving idempotent.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text, true
from sqlalchemy.orm import Mapped, deferred, mapped_column, query_expression, relationship

from app.audit import JSONType
from app.db import TimestampMixin, str_enum, unique
from app.extensions import Model
from app.i18n import N_
from app.timeutils import utc_now

UNKNOWN_SENDER_LABELS = {
    "create": _l("Open a ticket for them (unverified caller)"),
    "refuse": _l("Refuse politely by mail, open no ticket"),
}


class UnknownSenders(enum.StrEnum):
    CREATE = "create"  # a ticket with an unverified caller made from the sender's address
    REFUSE = "refuse"  # a polite mail back, no ticket

    @property
    def label(self) -> str:
        return str(UNKNOWN_SENDER_LABELS[self.value])


class Security(enum.StrEnum):
    SSL = "ssl"
    STARTTLS = "starttls"
    NONE = "none"


class MessageState(enum.StrEnum):
    PROCESSED = "processed"
    IGNORED = "ignored"
    QUARANTINED = "quarantined"
    DISMISSED = "dismissed"  # an administrator looked at an ignored or quarantined message


class Mailbox(TimestampMixin, Model):
    __tablename__ = "mailboxes"
    __table_args__ = (
        unique("name", field="name", message=N_("A mailbox with this name already exists.")),
        unique("address", field="address", message=N_("Another mailbox has this address.")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    address: Mapped[str] = mapped_column(String(320))  # lower-case
    active: Mapped[bool] = mapped_column(default=True, server_default=true())
    # What a new incident from this mailbox gets.
    assignment_group_id: Mapped[int | None] = mapped_column(
        ForeignKey("groups.id", ondelete="SET NULL")
    )
    category: Mapped[str | None] = mapped_column(String(100))
    impact: Mapped[int] = mapped_column(Integer, default=3, server_default="3")
    urgency: Mapped[int] = mapped_column(Integer, default=3, server_default="3")
    unknown_senders: Mapped[UnknownSenders] = mapped_column(
        str_enum(UnknownSenders, "unknown_senders"), default=UnknownSenders.CREATE
    )
    # IMAP polling (no host: the mailbox is fed by the MTA's pipe, ``flask mail receive``).
    imap_host: Mapped[str | None] = mapped_column(String(255))
    imap_port: Mapped[int | None] = mapped_column(Integer)
    imap_security: Mapped[Security] = mapped_column(
        str_enum(Security, "imap_security"), default=Security.SSL
    )
    imap_username: Mapped[str | None] = mapped_column(String(255))
    imap_password: Mapped[str | None] = mapped_column(String(255))
    imap_folder: Mapped[str] = mapped_column(String(255), default="INBOX")
    processed_folder: Mapped[str] = mapped_column(String(255), default="Deskgraph/Processed")
    poll_seconds: Mapped[int] = mapped_column(Integer, default=60, server_default="60")
    last_polled_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version}

    assignment_group = relationship("Group")

    @property
    def polled(self) -> bool:
        return bool(self.imap_host)

    def __repr__(self) -> str:
        return f"<Mailbox {self.name}>"


class InboundMessage(Model):
    """One received message and its fate. ``raw`` keeps the bytes of a message that was not
    processed (quarantined or ignored), so that an administrator can download it or process it
    again; a processed message lives on in its ticket."""

    __tablename__ = "inbound_messages"
    __table_args__ = (
        Index("ix_inbound_messages_sender_received", "from_address", "received_at"),
        Index("ix_inbound_messages_ticket_received", "ticket_id", "received_at"),
        Index("ix_inbound_messages_state_received", "state", "received_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The Message-ID header, or a stable id made from the bytes when there is none.
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    mailbox_id: Mapped[int | None] = mapped_column(ForeignKey("mailboxes.id", ondelete="SET NULL"))
    from_address: Mapped[str | None] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(300), default="")
    received_at: Mapped[datetime] = mapped_column(default=utc_now)
    state: Mapped[MessageState] = mapped_column(str_enum(MessageState, "inbound_state"))
    action: Mapped[str | None] = mapped_column(String(20))  # created, replied, note, ...
    reason: Mapped[str | None] = mapped_column(Text)  # in English (the CLI, logs)
    # The reason as a stored message (app.i18n.stored), worded in the reader's language; rows
    # written before have none and show ``reason``.
    reason_message: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))
    size: Mapped[int] = mapped_column(Integer, default=0)
    raw: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    # Whether ``raw`` is still kept, loaded by the quarantine's query without the bytes
    # (``flask deskgraph purge`` drops those of old ignored messages); None elsewhere.
    kept: Mapped[bool | None] = query_expression()

    mailbox = relationship("Mailbox")
    ticket = relationship("Ticket")

    def __repr__(self) -> str:
        return f"<InboundMessage {self.message_id} {self.state}>"
