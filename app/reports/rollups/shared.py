"""The daily rollup read once per page: every counter by day over a range and its filters.

A dashboard shows several figures counted on ``report_daily`` over the same days and queues:
the opened and resolved tiles, the trend per day, and the measures' counts and means (first
response, resolution, reopen rate ...). Each was a statement of its own (a dozen on a page,
each mostly the fixed cost of a statement on a busy database). Inside :func:`shared_daily`
(a page being built) :func:`daily_counters` reads every counter by day with one ``GROUP BY``
per range and filters and hands the same rows to every caller; outside it returns None and
the callers query what they need, as before. Nothing is kept beyond the block, so a write
after it is always seen.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, func, select

from app.extensions import db
from app.reports.rollups.models import COUNTERS, DailyRollup

Days = dict[date, dict[str, int]]
_SHARED: ContextVar[dict[tuple[Any, ...], Days] | None] = ContextVar(
    "report_daily_shared", default=None
)


@contextmanager
def shared_daily() -> Iterator[None]:
    """Within the block, :func:`daily_counters` reads each range and filters once."""
    token = _SHARED.set({})
    try:
        yield
    finally:
        _SHARED.reset(token)


def daily_counters(
    start: date,
    end: date,
    *,
    kinds: Iterable[str] = (),
    groups: Iterable[int] | None = None,
    priorities: Iterable[int] = (),
) -> Days | None:
    """``day -> counter -> sum`` of the daily rollup on the days ``start``..``end`` with a row
    (filters: ``kinds`` and ``priorities`` empty: all; ``groups`` None: every queue), or None
    outside :func:`shared_daily`."""
    cache = _SHARED.get()
    if cache is None:
        return None
    kinds, priorities = tuple(sorted(set(kinds))), tuple(sorted(set(priorities)))
    queues = None if groups is None else tuple(sorted(set(groups)))
    key = (start, end, kinds, queues, priorities)
    if key not in cache:
        d = DailyRollup
        where: list[ColumnElement[bool]] = [d.day >= start, d.day <= end]
        if kinds:
            where.append(d.kind.in_(kinds))
        if queues is not None:
            where.append(d.group_id.in_(queues))
        if priorities:
            where.append(d.priority.in_(priorities))
        sums = (func.sum(getattr(d, name)) for name in COUNTERS)
        query = select(d.day, *sums).where(*where).group_by(d.day)
        cache[key] = {
            day: dict(zip(COUNTERS, (int(v or 0) for v in values), strict=True))
            for day, *values in db.session.execute(query)
        }
    return cache[key]


def summed(days: Days, *names: str) -> list[int]:
    """The sums of counters ``names`` over ``days``."""
    return [sum(row[name] for row in days.values()) for name in names]
