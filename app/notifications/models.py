"""Notifications: what each person was told about which ticket event, and the settings that
decide it (the admins' per kind, each person's per kind and channel)."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import str_enum
from app.extensions import Model
from app.timeutils import utc_now


class MailState(enum.StrEnum):
    NONE = "none"  # not by mail (the person or the admin chose so)
    QUEUED = "queued"  # handed to the mail channel
    DIGEST = "digest"  # waits for the person's daily digest
    DIGESTED = "digested"  # went out in a digest
    NO_ADDRESS = "no_address"  # wanted by mail, but the person has no address


class Notification(Model):
    """One person told of one ticket event, as one kind; in the app (``in_app``) and/or by
    mail (``mail``). Unique per event, person and kind, so a fan-out run twice adds nothing."""

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("event_id", "recipient_id", "kind"),
        Index("ix_notifications_recipient_unread", "recipient_id", "in_app", "read_at"),
        Index("ix_notifications_recipient_id", "recipient_id", "id"),
        Index("ix_notifications_mail_recipient", "mail", "recipient_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("ticket_events.id", ondelete="CASCADE"))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    summary: Mapped[str] = mapped_column(String(300))
    in_app: Mapped[bool] = mapped_column(default=True)
    mail: Mapped[MailState] = mapped_column(
        str_enum(MailState, "notification_mail_state"), default=MailState.NONE
    )
    read_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utc_now)

    event = relationship("TicketEvent")
    ticket = relationship("Ticket", lazy="joined")
    recipient = relationship("User")

    def __repr__(self) -> str:
        return f"<Notification {self.id} {self.kind} to {self.recipient_id}>"


class KindSetting(Model):
    """The admins' choice for one kind (a kind without a row keeps the defaults of
    :data:`app.notifications.rules.KINDS`)."""

    __tablename__ = "notification_kinds"

    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    enabled: Mapped[bool] = mapped_column(default=True)
    mandatory: Mapped[bool] = mapped_column(default=False)
    mail: Mapped[bool] = mapped_column(default=True)
    in_app: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)


class Preference(Model):
    """One person's choice for one kind on one channel (``in_app``, ``mail``, ``digest``);
    no row: the kind's default."""

    __tablename__ = "notification_preferences"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    enabled: Mapped[bool] = mapped_column()


class Digest(Model):
    """A daily digest sent to one person (one per day: running the command again sends none)."""

    __tablename__ = "notification_digests"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    count: Mapped[int] = mapped_column(default=0)
    sent_at: Mapped[datetime] = mapped_column(default=utc_now)
