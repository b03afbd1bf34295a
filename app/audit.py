"""Audit trail: explicit rows written by services in the same transaction as the change."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Model, db
from app.timeutils import utc_now

JSONType = JSON().with_variant(JSONB(), "postgresql")


class AuditEvent(Model):
    """Who did what to which object, with the fields that changed as ``{field: [old, new]}``."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utc_now, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    object_type: Mapped[str] = mapped_column(String(50))
    object_id: Mapped[int] = mapped_column()
    action: Mapped[str] = mapped_column(String(50))
    changes: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)

    actor = relationship("User", lazy="joined")


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """The fields whose values differ, as ``{field: [old, new]}``."""
    return {k: [before.get(k), after.get(k)] for k in after if before.get(k) != after.get(k)}


def record(
    actor: Any, object_type: str, object_id: int, action: str, changes: Mapping[str, Any] | None
) -> AuditEvent:
    """Add an audit event to the current transaction (the caller commits)."""
    event = AuditEvent(
        actor_id=getattr(actor, "id", None),
        object_type=object_type,
        object_id=object_id,
        action=action,
        changes=dict(changes or {}),
    )
    db.session.add(event)
    return event
