"""Measures over the ticket facts: times, volume, backlog, reopen, first contact,
reassignment and agent workload (definitions in ``docs/metrics.md``).

Each function takes a scope the caller has already narrowed with ``visible_scope`` (the
registry in ``app.reports.measures`` does it) and returns a :class:`Figure`. Counts and means
come from the daily rollup; medians, percentiles, backlog and hour of day from the facts.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select

from app.extensions import db
from app.reports.measures.agents import resolved_per_agent
from app.reports.measures.base import (
    Figure,
    Point,
    daily_sums,
    day_range,
    dimension_column,
    filters,
    fold_weeks,
    nearest_rank,
    ratio,
    totals,
)
from app.reports.measures.percentiles import rolled_up, ticket_duration_stats
from app.reports.rollups.models import TicketFact
from app.reports.scope import Scope

BASES = ("business", "wall")


def _basis(basis: str) -> str:
    if basis not in BASES:
        raise ValueError(f"basis is 'business' or 'wall', not {basis!r}")
    return basis


def _time_figure(name: str, scope: Scope, *, prefix: str, by: str | None, basis: str) -> Figure:
    duration = f"{prefix}_{_basis(basis)}"
    count, stats, error = ticket_duration_stats(duration, scope)
    extra = {"basis": basis, "percentile_error": error}
    counter = "responded" if prefix == "response" else "resolved"
    series = _series(scope, f"{duration}_sum", counter, by, mean=True)
    return Figure(name, stats["median"], count, "seconds", stats, series, by, extra)


def _series(
    scope: Scope, numerator: str, denominator: str, by: str | None, *, mean: bool
) -> tuple[Point, ...]:
    if by is None:
        return ()
    if by == "hour":
        return ()
    rows = daily_sums(scope, numerator, denominator, by)
    if mean:
        return tuple(Point(k, round(n / d, 1) if d else None, d) for k, n, d in rows)
    return tuple(Point(k, n, d) for k, n, d in rows)


def response_time(scope: Scope, *, by: str | None = None, basis: str = "business") -> Figure:
    """First response time of the tickets opened in the range that have had one."""
    return _time_figure(
        "response_time",
        scope,
        prefix="response",
        by=by,
        basis=basis,
    )


def resolution_time(scope: Scope, *, by: str | None = None, basis: str = "business") -> Figure:
    """Resolution time of the tickets resolved in the range."""
    return _time_figure(
        "resolution_time",
        scope,
        prefix="resolution",
        by=by,
        basis=basis,
    )


def _hour_series(scope: Scope, day_column: Any) -> tuple[Point, ...]:
    where = [*day_range(day_column, scope), *filters(TicketFact, scope)]
    rows = dict(
        db.session.execute(
            select(TicketFact.opened_hour, func.count())
            .where(*where)
            .group_by(TicketFact.opened_hour)
        ).all()
    )
    return tuple(Point(h, float(rows.get(h, 0)), int(rows.get(h, 0))) for h in range(24))


def _volume(name: str, counter: str, day_column: Any, scope: Scope, by: str | None) -> Figure:
    (total,) = totals(scope, counter)
    if by == "hour":
        series = _hour_series(scope, day_column)
    else:
        series = tuple(Point(p.key, float(p.count), p.count) for p in _series(
            scope, counter, counter, by, mean=False
        ))  # fmt: skip
    return Figure(name, float(total), total, "tickets", {}, series, by)


def opened(scope: Scope, *, by: str | None = None) -> Figure:
    """Tickets opened in the range (``by``: day, week, hour or a dimension)."""
    return _volume("opened", "opened", TicketFact.opened_day, scope, by)


def resolved(scope: Scope, *, by: str | None = None) -> Figure:
    """Tickets resolved in the range (their last resolution)."""
    return _volume("resolved", "resolved", TicketFact.resolved_day, scope, by)


def _rate(name: str, part: str, scope: Scope, by: str | None) -> Figure:
    numerator, denominator = totals(scope, part, "resolved")
    series = tuple(
        Point(k, ratio(n, d), d) for k, n, d in (
            daily_sums(scope, part, "resolved", by) if by else ()
        )
    )  # fmt: skip
    return Figure(
        name, ratio(numerator, denominator), denominator, "percent", {"part": numerator},
        series, by,
    )  # fmt: skip


def reopen_rate(scope: Scope, *, by: str | None = None) -> Figure:
    """Share of the tickets resolved in the range that had been reopened at least once."""
    return _rate("reopen_rate", "reopened", scope, by)


def first_contact_rate(scope: Scope, *, by: str | None = None) -> Figure:
    """Share of the tickets resolved in the range that were resolved at first contact."""
    return _rate("first_contact_rate", "first_contact", scope, by)


def reassignment(scope: Scope, *, by: str | None = None) -> Figure:
    """Mean reassignments per ticket resolved in the range; ``stats['reassigned_percent']``
    is the share reassigned at least once."""
    total, count, reassigned = totals(scope, "reassignments", "resolved", "reassigned")
    series = _series(scope, "reassignments", "resolved", by, mean=True)
    stats = {"reassigned_percent": ratio(reassigned, count), "reassignments": float(total)}
    mean = round(total / count, 2) if count else None
    return Figure("reassignment", mean, count, "tickets", stats, series, by)


def open_at_end(scope: Scope) -> list[ColumnElement[bool]]:
    """Facts of the tickets still open at the end of the range (the backlog)."""
    return [
        TicketFact.opened_at < scope.until,
        or_(TicketFact.ended_at.is_(None), TicketFact.ended_at >= scope.until),
        *filters(TicketFact, scope),
    ]


def backlog(scope: Scope, *, now: datetime, by: str | None = None) -> Figure:
    """Tickets open at the end of the range and their age then (or now, if the range ends
    today): ``stats`` has the age's median, p90 and mean in seconds; ``by='day'`` gives the
    backlog at the end of each day."""
    end = min(now, scope.until)
    where = open_at_end(scope)
    ages = [
        max(0.0, (end - opened_at).total_seconds())
        for opened_at in db.session.scalars(
            select(TicketFact.opened_at).where(*where).order_by(TicketFact.opened_at.desc())
        )
    ]
    stats = {
        "age_median": nearest_rank(ages, 0.5),
        "age_p90": nearest_rank(ages, 0.9),
        "age_mean": round(sum(ages) / len(ages), 1) if ages else None,
    }
    series: tuple[Point, ...] = ()
    if by in ("day", "week"):
        series = _backlog_by_day(scope, len(ages), by)
    elif by is not None:
        key = dimension_column(TicketFact, by)
        rows = db.session.execute(
            select(key, func.count()).where(*where).group_by(key).order_by(key)
        )
        series = tuple(Point(k, float(n), int(n)) for k, n in rows)
    return Figure("backlog", float(len(ages)), len(ages), "tickets", stats, series, by)


def _backlog_by_day(scope: Scope, at_end: int, by: str) -> tuple[Point, ...]:
    """Backlog at the end of each day, walked back from the end: the day before held what
    the day ended with, minus what it opened, plus what it closed."""
    where = filters(TicketFact, scope)
    opened_by_day = dict(
        db.session.execute(
            select(TicketFact.opened_day, func.count())
            .where(*day_range(TicketFact.opened_day, scope), *where)
            .group_by(TicketFact.opened_day)
        ).all()
    )
    ended_by_day = dict(
        db.session.execute(
            select(TicketFact.ended_day, func.count())
            .where(*day_range(TicketFact.ended_day, scope), *where)
            .group_by(TicketFact.ended_day)
        ).all()
    )
    points, level = [], at_end
    day = scope.end
    while day >= scope.start:
        points.append((day, float(level), level))
        level = level - opened_by_day.get(day, 0) + ended_by_day.get(day, 0)
        day -= timedelta(days=1)
    points.reverse()
    if by == "week":  # the backlog at the end of each week (its last day in the range)
        last: dict[Any, tuple[float, int]] = {}
        for day, value, count in points:
            last[fold_weeks([(day, 0, 0)])[0][0]] = (value, count)
        return tuple(Point(k, v, c) for k, (v, c) in sorted(last.items()))
    return tuple(Point(d, v, c) for d, v, c in points)


def workload(scope: Scope, *, now: datetime) -> Figure:
    """Per agent (``Point.key`` = user id): open tickets assigned now, and tickets resolved
    per day over the range (``extra['resolved']`` per agent). The value is the mean open
    tickets per agent."""
    where = filters(TicketFact, scope)
    open_rows = dict(
        db.session.execute(
            select(TicketFact.assignee_id, func.count())
            .where(TicketFact.ended_at.is_(None), TicketFact.assignee_id != 0, *where)
            .group_by(TicketFact.assignee_id)
        ).all()
    )
    if rolled_up(scope):  # the monthly per-agent rollup holds the queues and kinds
        groups = scope.groups or None
        by_agent = resolved_per_agent(scope.start, scope.end, kinds=scope.kinds, groups=groups)
        resolved_rows = {a: n for a, n in by_agent.items() if a != 0}
    else:
        resolved_rows = dict(
            db.session.execute(
                select(TicketFact.assignee_id, func.count())
                .where(
                    *day_range(TicketFact.resolved_day, scope),
                    TicketFact.assignee_id != 0,
                    *where,
                )
                .group_by(TicketFact.assignee_id)
            ).all()
        )
    agents = sorted(set(open_rows) | set(resolved_rows))
    series = tuple(Point(a, float(open_rows.get(a, 0)), int(open_rows.get(a, 0))) for a in agents)
    per_day = {a: round(resolved_rows.get(a, 0) / scope.days, 2) for a in agents}
    total_open = sum(open_rows.values())
    value = round(total_open / len(agents), 1) if agents else None
    extra = {"resolved": dict(resolved_rows), "resolved_per_day": per_day}
    return Figure("workload", value, total_open, "tickets", {}, series, "agent", extra)


def fact_ids(where: list[ColumnElement[bool]]) -> Select:
    return select(TicketFact.ticket_id).where(*where)
