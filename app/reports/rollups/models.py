"""Derived reporting tables: one fact row per ticket and daily rollups of those facts.

Both are recomputed from the tickets and their events (never edited by hand): the session
hook in :mod:`app.reports.rollups.hooks` keeps them current in the transaction that changes a
ticket, and ``flask reports rollup`` rebuilds them. "No value" is stored as ``0`` (group,
assignee) or ``""`` (category, service) so that the daily key is a plain unique key on both
databases.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import Model


class TicketFact(Model):
    """What the reports count about one ticket, as of its last change.

    Durations are whole seconds: ``*_wall`` in elapsed time, ``*_business`` on the queue's
    calendar without the time on hold (see ``docs/metrics.md``). ``ended_at`` is when the
    ticket left the backlog (resolved, closed or canceled), None while it is open.
    """

    __tablename__ = "report_ticket_facts"
    __table_args__ = (
        Index(
            "ix_report_facts_open",
            "group_id",
            "opened_at",
            postgresql_where=text("ended_at IS NULL"),
            sqlite_where=text("ended_at IS NULL"),
        ),
        # The drill-down behind a queue's reopen rate: its few reopened tickets of a range,
        # instead of walking every ticket newest first until 50 of them turn up.
        Index(
            "ix_report_facts_reopened",
            "group_id",
            "resolved_day",
            postgresql_where=text("reopen_count > 0"),
            sqlite_where=text("reopen_count > 0"),
        ),
        Index("ix_report_facts_assignee", "assignee_id", "resolved_day"),
        Index("ix_report_facts_assignee_opened", "assignee_id", "opened_day"),
        # Covering the duration buckets and the resolved per agent of a range's partial
        # months (index-only scans); their day and queue prefix serves every range of days.
        Index(
            "ix_report_facts_opened_times",
            "opened_day",
            "group_id",
            "kind",
            "response_wall",
            "response_business",
        ),
        Index(
            "ix_report_facts_resolved_times",
            "resolved_day",
            "group_id",
            "kind",
            "resolution_wall",
            "resolution_business",
            "assignee_id",
        ),
        Index("ix_report_facts_ended", "ended_day", "group_id"),
    )

    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    kind: Mapped[str] = mapped_column(String(32))
    group_id: Mapped[int] = mapped_column(Integer, default=0)
    assignee_id: Mapped[int] = mapped_column(Integer, default=0)
    priority: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(80), default="")
    service: Mapped[str] = mapped_column(String(200), default="")
    catalog_item_id: Mapped[int] = mapped_column(Integer, default=0)
    opened_at: Mapped[datetime]
    opened_day: Mapped[date] = mapped_column(Date)
    opened_hour: Mapped[int] = mapped_column(Integer)
    first_response_at: Mapped[datetime | None]
    response_wall: Mapped[int | None] = mapped_column(Integer)
    response_business: Mapped[int | None] = mapped_column(Integer)
    resolved_at: Mapped[datetime | None]
    resolved_day: Mapped[date | None] = mapped_column(Date)
    resolution_wall: Mapped[int | None] = mapped_column(Integer)
    resolution_business: Mapped[int | None] = mapped_column(Integer)
    ended_at: Mapped[datetime | None]
    ended_day: Mapped[date | None] = mapped_column(Date)
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    reassignment_count: Mapped[int] = mapped_column(Integer, default=0)
    held: Mapped[bool] = mapped_column(default=False)
    first_contact: Mapped[bool] = mapped_column(default=False)


# The daily rollup's key besides the day: the filters every dashboard uses (the queues a
# viewer may see, the priority, the kind). Channel, category and service are read from the
# facts: keyed on them too, the rollup would hold about a row per ticket and save nothing.
DIMENSIONS = ("kind", "group_id", "priority")
OPENED_COUNTERS = ("opened", "responded", "response_wall_sum", "response_business_sum")
RESOLVED_COUNTERS = (
    "resolved",
    "resolution_wall_sum",
    "resolution_business_sum",
    "reopened",
    "first_contact",
    "reassigned",
    "reassignments",
)
COUNTERS = OPENED_COUNTERS + RESOLVED_COUNTERS


class DailyRollup(Model):
    """Counts and sums of ticket facts per report day (the organisation's zone), ticket kind,
    queue and priority.

    The ``OPENED_COUNTERS`` are keyed by the day a ticket was opened (its first response is
    counted with its opening), the ``RESOLVED_COUNTERS`` by the day of its (last) resolution.
    """

    __tablename__ = "report_daily"
    __table_args__ = {"sqlite_with_rowid": False}  # the key is the table: ranges read in order

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    group_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    priority: Mapped[int] = mapped_column(Integer, primary_key=True)
    opened: Mapped[int] = mapped_column(Integer, default=0)
    responded: Mapped[int] = mapped_column(Integer, default=0)
    response_wall_sum: Mapped[int] = mapped_column(BigInteger, default=0)
    response_business_sum: Mapped[int] = mapped_column(BigInteger, default=0)
    resolved: Mapped[int] = mapped_column(Integer, default=0)
    resolution_wall_sum: Mapped[int] = mapped_column(BigInteger, default=0)
    resolution_business_sum: Mapped[int] = mapped_column(BigInteger, default=0)
    reopened: Mapped[int] = mapped_column(Integer, default=0)
    first_contact: Mapped[int] = mapped_column(Integer, default=0)
    reassigned: Mapped[int] = mapped_column(Integer, default=0)
    reassignments: Mapped[int] = mapped_column(Integer, default=0)


class DailyChannels(Model):
    """Tickets opened (on their opening day) and resolved (on their last resolution's day)
    per report day, ticket kind, queue and channel: the dashboards' per-channel tables read
    these rather than a year of facts (the daily rollup is not keyed by channel)."""

    __tablename__ = "report_daily_channels"
    __table_args__ = {"sqlite_with_rowid": False}

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    group_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    opened: Mapped[int] = mapped_column(Integer, default=0)
    resolved: Mapped[int] = mapped_column(Integer, default=0)


# The durations whose percentiles the reports read from bucket counts, and the fact day each
# counts on (a response with the ticket's opening, a resolution with its last resolution).
DURATIONS = {
    "response_wall": "opened_day",
    "response_business": "opened_day",
    "resolution_wall": "resolved_day",
    "resolution_business": "resolved_day",
}


class MonthlyDurations(Model):
    """How many tickets' ``duration`` (a :data:`DURATIONS` name) fell in each logarithmic
    bucket (:mod:`app.reports.rollups.buckets`), per report month (its first day), ticket
    kind and queue: the median and p90 of a range merge these counts instead of sorting the
    facts (the range's partial months are bucketed from the facts)."""

    __tablename__ = "report_monthly_durations"
    __table_args__ = {"sqlite_with_rowid": False}

    duration: Mapped[str] = mapped_column(String(24), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    group_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    bucket: Mapped[int] = mapped_column(Integer, primary_key=True)
    tickets: Mapped[int] = mapped_column(Integer, default=0)


class MonthlyAgents(Model):
    """Tickets resolved (on their last resolution's report day) per report month (its first
    day), ticket kind, queue and assignee (0: nobody): the dashboards' "resolved per agent"
    reads the whole months of a range here and only its partial months from the facts (a
    year of facts is a million rows at scale; this is about a row per month, queue and
    agent who resolved there)."""

    __tablename__ = "report_monthly_agents"
    __table_args__ = {"sqlite_with_rowid": False}

    month: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    group_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assignee_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resolved: Mapped[int] = mapped_column(Integer, default=0)
