"""Satisfaction surveys: one row per resolved ticket (asked or not: the sampling decision is
kept, so nothing draws twice), its answer, and the administrators' settings."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Model
from app.timeutils import utc_now


class SurveySettings(Model):
    """One row (id 1, written the first time an admin saves): sampling and windows. Until then
    the column defaults apply (:func:`app.surveys.services.settings`)."""

    __tablename__ = "survey_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    percentage: Mapped[int] = mapped_column(Integer, default=100)  # of resolved tickets asked
    once_per_days: Mapped[int] = mapped_column(Integer, default=0)  # at most one per person
    delay_hours: Mapped[int] = mapped_column(Integer, default=0)  # after the resolution
    low_score: Mapped[int] = mapped_column(Integer, default=2)  # this or less: manager told
    edit_days: Mapped[int] = mapped_column(Integer, default=3)  # an answer may change
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}


class Survey(Model):
    """A resolved ticket's survey: whether its caller is asked (``sampled``, with the draw and
    the reason), when (``due_at``, ``sent_at``), the answer (``score`` 1..5 and ``comment``),
    and who worked the ticket when it was resolved (for the report). One per ticket."""

    __tablename__ = "surveys"
    __table_args__ = (
        UniqueConstraint("ticket_id"),
        CheckConstraint("score IS NULL OR (score >= 1 AND score <= 5)", name="score_range"),
        Index("ix_surveys_caller_sampled", "caller_id", "sampled", "created_at"),
        Index("ix_surveys_due", "sampled", "sent_at", "due_at"),
        Index("ix_surveys_sent", "sent_at"),  # the report's period
        Index("ix_surveys_updated", "updated_at"),  # the latest answers
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    caller_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    sampled: Mapped[bool]
    draw: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    due_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    score: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    answered_at: Mapped[datetime | None]  # the first answer (the edit window starts here)
    updated_at: Mapped[datetime | None]  # the last change of the answer
    answered_via: Mapped[str | None] = mapped_column(String(16))  # "portal" or "link"
    low_notified_at: Mapped[datetime | None]
    # Who worked the ticket when it was resolved, and what it was about (the report's rows).
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id", ondelete="SET NULL"))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    service: Mapped[str | None] = mapped_column(String(200))
    category: Mapped[str | None] = mapped_column(String(80))
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}

    ticket = relationship("Ticket", lazy="joined")
    caller = relationship("User", foreign_keys=[caller_id])
    group = relationship("Group")
    agent = relationship("User", foreign_keys=[agent_id])

    @property
    def answered(self) -> bool:
        return self.score is not None
