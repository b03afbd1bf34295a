"""The outbox's one table: a side effect to run after commit, and how its delivery went."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.audit import JSONType
from app.db import TimestampMixin, str_enum
from app.extensions import Model
from app.timeutils import utc_now


class OutboxState(enum.StrEnum):
    PENDING = "pending"  # to deliver at next_attempt_at (or being delivered, until then)
    DONE = "done"
    DEAD = "dead"  # gave up: last_error says why


class OutboxMessage(TimestampMixin, Model):
    __tablename__ = "outbox_messages"
    __table_args__ = (Index("ix_outbox_messages_due", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)
    state: Mapped[OutboxState] = mapped_column(
        str_enum(OutboxState, "outbox_state"), default=OutboxState.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utc_now)
    last_error: Mapped[str | None] = mapped_column(Text)

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.id} {self.kind} {self.state}>"
