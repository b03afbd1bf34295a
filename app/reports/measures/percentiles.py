"""Median and p90 of the ticket durations from the monthly bucket counts.

Sorting every duration of a year (``percentile_disc`` over the facts) is what made year-long
dashboards slow. When a scope counts many tickets and filters only by queue and ticket kind
(the keys of ``report_monthly_durations``), :func:`ticket_duration_stats` adds the bucket
counts of the range's whole months to the facts of its partial months, bucketed by the
database with the same formula as :func:`app.reports.rollups.buckets.bucket`, and reads the
nearest-rank percentiles from the merged counts: within ``buckets.ERROR`` (2.5 %) of the
exact ones. The count and the mean are exact, from the daily rollup.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Integer, case, cast, func, select

from app.extensions import db
from app.reports.measures.base import day_range, duration_stats, filters, totals
from app.reports.rollups.buckets import ERROR, LOG_RATIO, nearest_rank_of
from app.reports.rollups.models import DURATIONS, MonthlyDurations, TicketFact
from app.reports.scope import Scope

# Up to this many tickets the percentiles are exact (sorting them is quick); beyond, bucketed.
EXACT_UP_TO = 20_000
# The daily rollup's counters of each duration: (how many, their sum).
COUNTERS = {
    "response_wall": ("responded", "response_wall_sum"),
    "response_business": ("responded", "response_business_sum"),
    "resolution_wall": ("resolved", "resolution_wall_sum"),
    "resolution_business": ("resolved", "resolution_business_sum"),
}


def rolled_up(scope: Scope) -> bool:
    """Whether the monthly buckets hold the scope's filters (queues and kinds only)."""
    return not (scope.priorities or scope.channels or scope.categories or scope.services)


def bucket_of(column: Any) -> ColumnElement[int]:
    """:func:`app.reports.rollups.buckets.bucket` in SQL (``ln`` and ``floor``: PostgreSQL,
    and SQLite 3.35 or newer built with its math functions)."""
    log = func.floor(func.ln(column) / LOG_RATIO)
    return case((column < 1, 0), else_=1 + cast(log, Integer))


def whole_months(start: date, end: date) -> tuple[date, date] | None:
    """The first days of the first and last calendar months that lie wholly in
    ``start``..``end`` (None: no whole month)."""
    first = start if start.day == 1 else next_month(start)
    after = end + timedelta(days=1)
    last = after.replace(day=1)  # the month after the last whole one
    if last <= first:
        return None
    return first, _previous_month(last)


def next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def _previous_month(day: date) -> date:
    return (day.replace(day=1) - timedelta(days=1)).replace(day=1)


def duration_counts(name: str, scope: Scope) -> Counter[int]:
    """``bucket -> tickets`` of duration ``name`` (a ``DURATIONS`` key) over the scope: the
    monthly buckets of its whole months, the facts of the days around them."""
    column = getattr(TicketFact, name)
    day = getattr(TicketFact, DURATIONS[name])
    counts: Counter[int] = Counter()
    months = whole_months(scope.start, scope.end)
    edges = [(scope.start, scope.end)]
    if months is not None:
        first, last = months
        m = MonthlyDurations
        where = [m.duration == name, m.month >= first, m.month <= last]
        if scope.groups:
            where.append(m.group_id.in_(scope.groups))
        if scope.kinds:
            where.append(m.kind.in_(scope.kinds))
        found = select(m.bucket, func.sum(m.tickets)).where(*where).group_by(m.bucket)
        counts.update({b: int(n) for b, n in db.session.execute(found)})
        edges = [
            (scope.start, first - timedelta(days=1)),
            (next_month(last), scope.end),
        ]
    index = bucket_of(column)
    for start, end in edges:  # a query per range: an index-only scan each, no OR of ranges
        if start > end:
            continue
        facts = (
            select(index, func.count())
            .where(column.is_not(None), day >= start, day <= end, *filters(TicketFact, scope))
            .group_by(index)
        )
        counts.update({int(b): int(n) for b, n in db.session.execute(facts)})
    return counts


def ticket_duration_stats(name: str, scope: Scope) -> tuple[int, dict[str, Any], float]:
    """Count, median, p90 and mean of duration ``name`` (a ``DURATIONS`` key) over the scope,
    as ``base.duration_stats`` gives them, and the percentiles' largest relative error: exact
    (0) over at most ``EXACT_UP_TO`` tickets or when the scope filters by more than queue and
    kind, else merged from the monthly buckets (``buckets.ERROR``) with an exact count and
    mean from the daily rollup."""
    if rolled_up(scope):
        count, total = totals(scope, *COUNTERS[name])
        if count > EXACT_UP_TO:
            median, p90 = nearest_rank_of(duration_counts(name, scope).items(), 0.5, 0.9)
            stats = {"median": median, "p90": p90, "mean": round(total / count, 1)}
            return count, stats, ERROR
    day = getattr(TicketFact, DURATIONS[name])
    where = [*day_range(day, scope), *filters(TicketFact, scope)]
    count, stats = duration_stats(getattr(TicketFact, name), where)
    return count, stats, 0.0
