"""Webhook subscriptions and the log of their deliveries."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.audit import JSONType
from app.db import TimestampMixin, str_enum, unique
from app.extensions import Model
from app.i18n import N_
from app.timeutils import utc_now


class WebhookSubscription(TimestampMixin, Model):
    """An address that is sent the domain events an administrator chose.

    The secret signs each delivery (HMAC-SHA256), so it cannot be hashed: ``sealed_secret``
    holds it encrypted (``app.webhooks.sealing``; read it with
    ``services.secret_of``), and the pages show it only once, when made. ``failures`` counts the
    failed attempts since the last success: at ``WEBHOOK_MAX_FAILURES`` the subscription is
    switched off (``disabled_reason`` says why) until an administrator enables it again.
    """

    __tablename__ = "webhook_subscriptions"
    __table_args__ = (
        unique("name", field="name", message=N_("Another subscription already has this name.")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    url: Mapped[str] = mapped_column(String(2000))
    sealed_secret: Mapped[str] = mapped_column(String(500))
    # Filters; an empty list means "any".
    event_types: Mapped[list[str]] = mapped_column(JSONType, default=list)
    ticket_kinds: Mapped[list[str]] = mapped_column(JSONType, default=list)
    group_ids: Mapped[list[int]] = mapped_column(JSONType, default=list)
    service_ids: Mapped[list[int]] = mapped_column(JSONType, default=list)
    work_notes: Mapped[bool] = mapped_column(default=False)
    enabled: Mapped[bool] = mapped_column(default=True)
    failures: Mapped[int] = mapped_column(default=0)
    disabled_reason: Mapped[str | None] = mapped_column(String(500))
    # Why it was switched off as a stored message (app.i18n.stored), read in the admin's
    # language; ``disabled_reason`` keeps its English. None: on, or switched off before.
    disabled_message: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    disabled_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}

    def __repr__(self) -> str:
        return f"<WebhookSubscription {self.id} {self.name}>"


#: What the pages call each delivery state.
STATE_LABELS = {
    "pending": _l("Pending"),
    "succeeded": _l("Succeeded"),
    "failed": _l("Failed"),
    "dead": _l("Given up"),
}


class DeliveryState(enum.StrEnum):
    PENDING = "pending"  # waiting for its first attempt or a retry
    SUCCEEDED = "succeeded"  # the receiver answered 2xx: never sent again
    FAILED = "failed"  # the last attempt failed; the outbox retries it
    DEAD = "dead"  # given up (out of attempts, or the subscription was switched off)

    @property
    def label(self) -> str:
        return str(STATE_LABELS[self.value])


class WebhookDelivery(Model):
    """One event sent to one subscription, with its last attempt's outcome.

    ``uid`` is the ``Deskgraph-Delivery`` header: every attempt of a delivery carries it, so
    a receiver drops one it already processed. ``body`` is the JSON exactly as sent, so a
    retry sends the same bytes. One row per (subscription, ticket event): fanning an event
    out again adds nothing.
    """

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("subscription_id", "ticket_event_id"),
        Index("ix_webhook_deliveries_subscription", "subscription_id", "id"),
        Index("ix_webhook_deliveries_created_at", "created_at"),  # the purge
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(36), unique=True)
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_subscriptions.id", ondelete="CASCADE")
    )
    ticket_event_id: Mapped[int | None] = mapped_column(
        ForeignKey("ticket_events.id", ondelete="SET NULL"), index=True
    )
    event: Mapped[str] = mapped_column(String(80))
    body: Mapped[str] = mapped_column(Text)
    state: Mapped[DeliveryState] = mapped_column(
        str_enum(DeliveryState, "webhook_delivery_state"), default=DeliveryState.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    attempted_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    response_status: Mapped[int | None]
    response_body: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int | None]
    error: Mapped[str | None] = mapped_column(String(2000))
    # The error as a stored message (app.i18n.stored), read in the admin's language; ``error``
    # keeps its English. None: no error, or one stored before.
    error_message: Mapped[dict[str, Any] | None] = mapped_column(JSONType)

    subscription: Mapped[WebhookSubscription] = relationship()
