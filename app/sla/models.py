"""SLA tables: business calendars, SLA policies per queue and the task SLA records they produce.

Calendars and policies are configuration edited by people (optimistic ``version``); task SLA
records are derived data, recomputed from the ticket's event log by :mod:`app.sla.services`
and read by reports with plain SQL. Durations are stored as whole business seconds.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    false,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from app.audit import JSONType
from app.db import TimestampMixin, str_enum
from app.extensions import Model
from app.i18n import N_


class SlaKind(enum.StrEnum):
    # Time to the first response by an agent: a property of the ticket, measured once over the
    # whole ticket (scope TICKET, enforced) by the first queue that held it unanswered.
    RESPONSE = "response"
    RESOLUTION = "resolution"  # time to resolution: per ticket (SLA) or per stint (OLA)

    @property
    def label(self) -> str:
        """The kind in English; pages show ``_(kind.label)``."""
        return N_("Response") if self is SlaKind.RESPONSE else N_("Resolution")


class SlaScope(enum.StrEnum):
    TICKET = "ticket"  # an SLA: counts over the ticket's whole life once it met the queue
    GROUP = "group"  # an OLA: counts per stint of the ticket in the queue, stops on leaving

    @property
    def label(self) -> str:
        """The scope in English; pages show ``_(scope.label)``."""
        return (
            N_("Whole ticket (SLA)") if self is SlaScope.TICKET else N_("Per stint in queue (OLA)")
        )


class Escalation(enum.StrEnum):
    NONE = "none"
    NOTIFY_MANAGER = "notify_manager"
    RAISE_PRIORITY = "raise_priority"
    REASSIGN = "reassign"

    @property
    def label(self) -> str:
        """The escalation in English; pages show ``_(escalation.label)``."""
        return {
            "none": N_("Nothing"),
            "notify_manager": N_("Notify the group manager"),
            "raise_priority": N_("Raise the priority by one"),
            "reassign": N_("Reassign to another group"),
        }[self.value]


class SlaStage(enum.StrEnum):
    """Mirrors :class:`app.sla.clock.Stage` (kept separate so the pure core stays free)."""

    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    PAUSED = "paused"
    MET = "met"
    BREACHED = "breached"
    CANCELLED = "cancelled"


# The stages as pages show them (``sla_stage_label``: ``_(stage|replace('_', ' ')|capitalize)``).
STAGE_LABELS = (
    N_("Not started"),
    N_("In progress"),
    N_("Paused"),
    N_("Met"),
    N_("Breached"),
    N_("Cancelled"),
)


class SlaCalendar(TimestampMixin, Model):
    """A business calendar as a row; ``app.sla.services.business_calendar`` builds the pure one.

    ``week`` is seven lists (Monday first) of ``["08:00", "12:00"]`` pairs; ``closed_dates`` a
    list of ISO dates closed on top of the public holidays of ``country``/``subdivision``
    (and of its de facto holidays, the eves, when ``include_eves``).
    """

    __tablename__ = "sla_calendars"
    __table_args__ = (UniqueConstraint("name", name="uq_sla_calendars_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    zone: Mapped[str] = mapped_column(String(64))
    week: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    country: Mapped[str | None] = mapped_column(String(8))
    subdivision: Mapped[str | None] = mapped_column(String(16))
    closed_dates: Mapped[list[str]] = mapped_column(JSONType, default=list)
    include_eves: Mapped[bool] = mapped_column(default=False, server_default=false())
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}


class SlaPolicy(TimestampMixin, Model):
    """What a queue promises: targets per priority (minutes of business time) on a calendar.

    ``ticket_kind`` and ``catalog_item_id`` (None: any) narrow the tickets it measures.
    ``targets`` maps the priority (as a string key, JSON) to minutes; ``pause_reasons`` lists
    the on-hold reasons that pause the clock (empty: on hold never pauses); ``warnings`` are
    percentages of the target; ``start_priorities`` (empty: any) starts the clock only once the
    ticket has one of those priorities, counted from the opening when ``retroactive_start``.
    """

    __tablename__ = "sla_policies"
    __table_args__ = (
        UniqueConstraint("group_id", "name", name="uq_sla_policies_group_name"),
        CheckConstraint(
            "escalation != 'reassign' OR escalation_group_id IS NOT NULL",
            name="reassign_needs_group",
        ),
        CheckConstraint("kind != 'response' OR scope = 'ticket'", name="response_is_ticket_scope"),
        Index("ix_sla_policies_group_active", "group_id", "is_active"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    ticket_kind: Mapped[str | None] = mapped_column(String(32))
    # Narrowed to one catalog item: its requested items (RITM) and their tasks (SCTASK) only.
    # RESTRICT: a catalog item is never deleted by the application (it is deactivated), and
    # deleting one a policy names must fail rather than widen the policy (SET NULL) or drop
    # the policy with its records (CASCADE).
    catalog_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("catalog_items.id", ondelete="RESTRICT"), index=True
    )
    calendar_id: Mapped[int] = mapped_column(ForeignKey("sla_calendars.id", ondelete="RESTRICT"))
    kind: Mapped[SlaKind] = mapped_column(str_enum(SlaKind, "sla_kind"))
    scope: Mapped[SlaScope] = mapped_column(
        str_enum(SlaScope, "sla_scope"), default=SlaScope.GROUP, server_default="group"
    )
    targets: Mapped[dict[str, int]] = mapped_column(JSONType, default=dict)
    pause_reasons: Mapped[list[str]] = mapped_column(JSONType, default=list)
    start_priorities: Mapped[list[int]] = mapped_column(JSONType, default=list)
    retroactive_start: Mapped[bool] = mapped_column(default=False, server_default=false())
    warnings: Mapped[list[int]] = mapped_column(JSONType, default=lambda: [50, 75])
    escalation: Mapped[Escalation] = mapped_column(
        str_enum(Escalation, "sla_escalation"), default=Escalation.NONE, server_default="none"
    )
    escalation_group_id: Mapped[int | None] = mapped_column(
        ForeignKey("groups.id", ondelete="SET NULL")
    )
    is_active: Mapped[bool] = mapped_column(default=True, server_default=true())
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}

    group = relationship("Group", foreign_keys=[group_id], lazy="joined")
    escalation_group = relationship("Group", foreign_keys=[escalation_group_id])
    calendar: Mapped[SlaCalendar] = relationship(lazy="joined")
    catalog_item = relationship("CatalogItem")


class TaskSla(Model):
    """One SLA (or OLA stint) of one ticket, as of ``computed_as_of``.

    ``stint`` is 0 for a whole-ticket SLA and 1, 2… for the ticket's successive stints in the
    policy's queue. ``warning_level`` is the highest threshold crossed (1.0: breached) and
    ``notified_level`` the highest one ``flask sla tick`` has recorded as a ticket event, so
    each warning and breach is announced once. ``next_check_at`` is when a running clock
    crosses its next threshold: the tick only looks at records whose time has come.
    ``started_month`` follows ``started_at`` (set with it).
    """

    __tablename__ = "task_slas"
    __table_args__ = (
        UniqueConstraint(
            "ticket_id", "policy_id", "stint", name="uq_task_slas_ticket_policy_stint"
        ),
        CheckConstraint("elapsed_seconds >= 0 AND paused_seconds >= 0", name="durations_positive"),
        CheckConstraint("notified_level <= 1 AND warning_level <= 1", name="levels_in_range"),
        # The reports' compliance and times: decided clocks of the reader's queues, read with an
        # index-only scan on PostgreSQL (bench/sla_reports.py: 1,000,000 records).
        Index(
            "ix_task_slas_report",
            "group_id",
            "kind",
            "started_at",
            postgresql_include=[
                "priority",
                "started_month",
                "breached_at",
                "stopped_at",
                "elapsed_seconds",
            ],
            postgresql_where=text("stage IN ('met', 'breached')"),
            sqlite_where=text("stage IN ('met', 'breached')"),
        ),
        Index("ix_task_slas_stage_due", "stage", "due_at"),
        Index("ix_task_slas_next_check", "next_check_at"),
        Index("ix_task_slas_breached", "breached_at"),
        Index("ix_task_slas_policy", "policy_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    policy_id: Mapped[int] = mapped_column(ForeignKey("sla_policies.id", ondelete="CASCADE"))
    stint: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id", ondelete="SET NULL"))
    kind: Mapped[SlaKind] = mapped_column(str_enum(SlaKind, "sla_kind"))
    priority: Mapped[int | None] = mapped_column(Integer)
    target_seconds: Mapped[int | None] = mapped_column(Integer)
    stage: Mapped[SlaStage] = mapped_column(str_enum(SlaStage, "sla_stage"))
    started_at: Mapped[datetime | None]
    started_month: Mapped[int | None] = mapped_column(Integer)  # UTC, e.g. 202603 (reports)
    counted_from: Mapped[datetime | None]
    stopped_at: Mapped[datetime | None]
    due_at: Mapped[datetime | None]
    breached_at: Mapped[datetime | None]
    elapsed_seconds: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    paused_seconds: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    percentage: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    warnings: Mapped[dict[str, str]] = mapped_column(JSONType, default=dict)
    warning_level: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    notified_level: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    next_check_at: Mapped[datetime | None]
    # Lines as messages (app.i18n.stored); older rows hold text and instants
    # (app.sla.clock.stored_parts) or plain strings.
    explanation: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    computed_as_of: Mapped[datetime]

    policy: Mapped[SlaPolicy] = relationship()

    @validates("started_at")
    def _month_of_start(self, _key: str, value: datetime | None) -> datetime | None:
        """Keep ``started_month`` (what reports group by) in step with ``started_at``."""
        self.started_month = month_of(value)
        return value

    @property
    def is_breached(self) -> bool:
        return self.breached_at is not None


def month_of(value: datetime | None) -> int | None:
    """The UTC month of an aware instant as ``YYYYMM`` (``202603``)."""
    if value is None:
        return None
    value = value.astimezone(UTC)
    return value.year * 100 + value.month
