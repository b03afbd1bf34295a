"""Mail out's tables: every mail the desk composed (sent or not), and what is known about the
addresses it writes to (bounces, marked by mail in)."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.db import TimestampMixin, str_enum
from app.extensions import Model
from app.tickets.models import Ticket

#: Each state's name as people read it (MailState.value is the stored identifier).
STATE_LABELS = {
    "recorded": _l("Recorded"),
    "queued": _l("Queued"),
    "sent": _l("Sent"),
    "failed": _l("Failed"),
    "dead": _l("Dead"),
}


class MailState(enum.StrEnum):
    RECORDED = "recorded"  # no SMTP server configured: kept and shown, never sent
    QUEUED = "queued"  # waiting for its outbox delivery
    SENT = "sent"  # the SMTP server accepted it
    FAILED = "failed"  # the last attempt failed; the outbox retries it
    DEAD = "dead"  # refused for good (5xx, bouncing address, out of attempts): last_error says why

    @property
    def label(self) -> str:
        return str(STATE_LABELS[self.value])


class OutboundMail(TimestampMixin, Model):
    """One mail to one recipient, with the exact headers it goes out with, so that a retry
    sends the same message (same Message-ID and Date) and replies thread back to its ticket."""

    __tablename__ = "outbound_mails"
    __table_args__ = (
        Index("ix_outbound_mails_ticket_id_id", "ticket_id", "id"),
        Index("ix_outbound_mails_state_id", "state", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    to_address: Mapped[str] = mapped_column(String(320))
    to_name: Mapped[str | None] = mapped_column(String(200))
    recipient_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    subject: Mapped[str] = mapped_column(Text)
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str | None] = mapped_column(Text)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(32))
    # The notification this mail delivers (the notifications table is not mail's: no FK).
    notification_id: Mapped[int | None] = mapped_column(index=True)
    in_reply_to: Mapped[str | None] = mapped_column(String(255))
    references: Mapped[str] = mapped_column(Text, default="")  # message ids, space-separated
    auto_generated: Mapped[bool] = mapped_column(default=True)
    # The one-click unsubscribe URL of a mail sent to subscribers (List-Unsubscribe).
    list_unsubscribe: Mapped[str | None] = mapped_column(Text)
    state: Mapped[MailState] = mapped_column(str_enum(MailState, "mail_state"))
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None]

    ticket: Mapped[Ticket | None] = relationship(lazy="raise")
    recipient: Mapped[User | None] = relationship(lazy="raise")

    def __repr__(self) -> str:
        return f"<OutboundMail {self.id} {self.message_id} {self.state}>"


class MailAddress(TimestampMixin, Model):
    """What the desk knows about an address it writes to: whether mail to it bounces."""

    __tablename__ = "mail_addresses"

    id: Mapped[int] = mapped_column(primary_key=True)
    address: Mapped[str] = mapped_column(String(320), unique=True)  # lower-cased
    bouncing: Mapped[bool] = mapped_column(default=False)
    bounced_at: Mapped[datetime | None]
    bounce_reason: Mapped[str | None] = mapped_column(Text)
    bounce_count: Mapped[int] = mapped_column(default=0)

    def __repr__(self) -> str:
        return f"<MailAddress {self.address}{' bouncing' if self.bouncing else ''}>"
