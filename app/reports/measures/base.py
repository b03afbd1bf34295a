"""What every measure returns, and the shared pieces to compute it.

A measure answers with a :class:`Figure`: the headline ``value``, the ``count`` of things
behind it (tickets, surveys, SLA records, attempts), summary ``stats`` (median, p90, mean for
durations) and a ``series`` of :class:`Point` by day, week or a dimension. The drill-down of
any figure or point is :func:`app.reports.measures.tickets_behind` with the same scope and the
point's ``key`` as a keyword (``day=``, ``channel=`` ...).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, exists, func, select

from app.db import is_postgresql
from app.extensions import db
from app.reports.rollups.facts import counter_source
from app.reports.rollups.models import DailyRollup, TicketFact
from app.reports.rollups.shared import daily_counters, summed
from app.reports.scope import Scope, report_zone, service_names

# The dimensions a series can be split by (``by=``), and the drill-down keywords.
TIME_AXES = ("day", "week")
DIMENSIONS = ("channel", "category", "service", "group", "priority", "kind", "hour")


@dataclass(frozen=True)
class Point:
    """One point of a series: ``key`` is a date (day, or the Monday of a week), a dimension
    value (a string or an id), ``value`` the measure there and ``count`` what it counts."""

    key: Any
    value: float | None
    count: int


@dataclass(frozen=True)
class Figure:
    """A measure over a scope. ``unit``: ``seconds``, ``percent``, ``tickets``, ``score`` or
    ``per_day``. ``by`` names the series axis (``day``, ``week``, a dimension or None)."""

    measure: str
    value: float | None
    count: int
    unit: str
    stats: dict[str, Any] = field(default_factory=dict)
    series: tuple[Point, ...] = ()
    by: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def nearest_rank(values: Sequence[float], p: float) -> float | None:
    """The value at rank ⌈p·n⌉ of sorted ``values`` (the method of the SLA reports)."""
    if not values:
        return None
    return values[max(1, math.ceil(p * len(values))) - 1]


def duration_stats(column: Any, where: Sequence[ColumnElement[bool]]) -> tuple[int, dict]:
    """Count, median, p90 and mean of a duration column over the rows ``where`` selects.

    PostgreSQL: one scan with ``percentile_disc`` (the nearest rank: the first value whose
    cumulative share reaches p). SQLite: the sorted values in one query, ranked in Python (one
    sort instead of one per percentile).
    """
    where = [column.is_not(None), *where]
    stats: dict[str, float | None] = {"median": None, "p90": None, "mean": None}
    if is_postgresql(db.session):
        count, mean, median, p90 = db.session.execute(
            select(
                func.count(column),
                func.avg(column),
                func.percentile_disc(0.5).within_group(column),
                func.percentile_disc(0.9).within_group(column),
            ).where(*where)
        ).one()
        if count:
            stats.update(median=_number(median), p90=_number(p90), mean=round(float(mean), 1))
        return int(count), stats
    values = [float(v) for v in db.session.scalars(select(column).where(*where).order_by(column))]
    if not values:
        return 0, stats
    stats.update(
        median=nearest_rank(values, 0.5),
        p90=nearest_rank(values, 0.9),
        mean=round(sum(values) / len(values), 1),
    )
    return len(values), stats


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def report_date(column: Any, scope: Scope) -> Any:
    """The report day (organisation's zone) of a timestamp column, computed by the database.
    PostgreSQL converts each instant exactly (``timezone``); SQLite has no zone rules, so it
    shifts by the zone's UTC offset at the start of the range (exact unless the range crosses
    a daylight-saving change, where the hour nearest midnight may land on the next day)."""
    zone = report_zone()
    if is_postgresql(db.session):
        return func.date(func.timezone(zone, column))
    offset = scope.since.utcoffset() or timedelta(0)
    return func.date(column, f"{int(offset.total_seconds() // 60):+d} minutes")


def as_date(value: Any) -> date:
    """A ``date`` from what ``func.date`` returns (a date on PostgreSQL, text on SQLite)."""
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def filters(model: Any, scope: Scope) -> list[ColumnElement[bool]]:
    """The scope's dimension filters on ``TicketFact`` or ``DailyRollup`` (same columns)."""
    out: list[ColumnElement[bool]] = []
    if scope.groups:
        out.append(model.group_id.in_(scope.groups))
    if scope.priorities:
        out.append(model.priority.in_(scope.priorities))
    if scope.channels:  # the facts only (see from_rollup)
        out.append(model.channel.in_(scope.channels))
    if scope.kinds:
        out.append(model.kind.in_(scope.kinds))
    if scope.categories:
        out.append(model.category.in_(scope.categories))
    if scope.services:
        out.append(model.service.in_(service_names(scope)))
    return out


def in_scope(at: Any, ticket_id: Any, scope: Scope) -> list[ColumnElement[bool]]:
    """Rows of another table whose instant ``at`` falls in the range and whose ticket
    (``ticket_id``) the scope's filters keep."""
    where: list[ColumnElement[bool]] = [at >= scope.since, at < scope.until]
    narrowed = filters(TicketFact, scope)
    if narrowed:  # a lookup of each row's fact: SQLite would first list every fact kept
        where.append(exists().where(TicketFact.ticket_id == ticket_id, *narrowed))
    return where


def day_range(column: Any, scope: Scope) -> list[ColumnElement[bool]]:
    return [column >= scope.start, column <= scope.end]


COLUMNS = {
    "channel": "channel",
    "category": "category",
    "service": "service",
    "group": "group_id",
    "priority": "priority",
    "kind": "kind",
}


def dimension_column(model: Any, by: str) -> Any:
    """The column of ``model`` (facts or daily rollup) a series ``by`` groups on."""
    if by == "hour":
        if model is not TicketFact:
            raise ValueError("hour of day is read from the facts")
        return TicketFact.opened_hour
    if by not in COLUMNS:
        raise ValueError(f"unknown dimension {by!r}")
    return getattr(model, COLUMNS[by])


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def fold_weeks(points: Sequence[tuple[date, float, int]]) -> list[tuple[date, float, int]]:
    """Daily ``(day, sum, count)`` folded into ISO weeks keyed by their Monday."""
    weeks: dict[date, list[float]] = {}
    for day, total, count in points:
        row = weeks.setdefault(monday(day), [0.0, 0])
        row[0] += total
        row[1] += count
    return [(key, total, int(count)) for key, (total, count) in sorted(weeks.items())]


def from_rollup(scope: Scope, by: str | None) -> bool:
    """Whether the daily rollup can answer: its key holds every filter and the axis."""
    return not (scope.channels or scope.categories or scope.services) and by in (
        None,
        "day",
        "week",
        "group",
        "priority",
        "kind",
    )


def daily_sums(
    scope: Scope, numerator: str, denominator: str, by: str | None
) -> list[tuple[Any, float, int]]:
    """``(key, sum(numerator), sum(denominator))`` by day, week or a dimension over the scope's
    days: from the daily rollup when it holds the filters, else from the facts. Both counters
    count on the same day (opening or resolution)."""
    if from_rollup(scope, by):
        model: Any = DailyRollup
        num = func.coalesce(func.sum(getattr(DailyRollup, numerator)), 0)
        den = func.coalesce(func.sum(getattr(DailyRollup, denominator)), 0)
        day: Any = DailyRollup.day
    else:
        model = TicketFact
        day, num = counter_source(numerator)
        den = counter_source(denominator)[1]
    where = [*day_range(day, scope), *filters(model, scope)]
    key = day if by in (None, "day", "week") else dimension_column(model, by)
    query: Select = select(key, num, den).where(*where).group_by(key).order_by(key)
    rows = [(k, float(n or 0), int(d or 0)) for k, n, d in db.session.execute(query)]
    if by in (None, "day", "week"):
        rows = every_day(scope, rows)
        return fold_weeks(rows) if by == "week" else rows
    return [row for row in rows if row[2]]


def every_day(scope: Scope, rows: Sequence[tuple[Any, float, int]]) -> list[tuple[Any, float, int]]:
    """``rows`` keyed by day with every day of the scope present (``(day, 0, 0)`` if absent),
    so a daily series has no holes."""
    found = {as_date(day): (total, count) for day, total, count in rows}
    out = []
    for offset in range(scope.days):
        day = scope.start + timedelta(days=offset)
        total, count = found.get(day, (0.0, 0))
        out.append((day, total, count))
    return out


def totals(scope: Scope, *names: str) -> list[int]:
    """Sums of daily rollup counters over the scope (from the facts when the rollup does not
    hold the filters)."""
    if from_rollup(scope, None):
        days = daily_counters(
            scope.start,
            scope.end,
            kinds=scope.kinds,
            groups=scope.groups or None,
            priorities=scope.priorities,
        )
        if days is not None:  # a page being built: its daily rows, read once
            return summed(days, *names)
        where = [*day_range(DailyRollup.day, scope), *filters(DailyRollup, scope)]
        row = db.session.execute(
            select(*(func.coalesce(func.sum(getattr(DailyRollup, n)), 0) for n in names)).where(
                *where
            )
        ).one()
        return [int(v) for v in row]
    out = []
    for name in names:  # a query per counter: they may count on different days
        day, aggregate = counter_source(name)
        where = [*day_range(day, scope), *filters(TicketFact, scope)]
        out.append(int(db.session.execute(select(aggregate).where(*where)).scalar() or 0))
    return out


def ratio(part: float, whole: float, scale: float = 100.0) -> float | None:
    return round(scale * part / whole, 1) if whole else None


Computer = Callable[..., Figure]
