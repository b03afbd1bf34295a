"""Tickets resolved per agent over a range, from the monthly per-agent rollup.

A year of resolutions is about a million fact rows at scale, and the workload tables count
each agent's. :func:`resolved_per_agent` sums ``report_monthly_agents`` over the range's whole
months and counts only its partial months' facts (an index-only scan of the resolution day
index, which carries the queue, the kind and the assignee): exact, like the facts, whatever
the range. It holds the queue and the kind; a caller filtering by anything else counts the
facts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, select

from app.extensions import db
from app.reports.measures.percentiles import next_month, whole_months
from app.reports.rollups.models import MonthlyAgents, TicketFact


def resolved_per_agent(
    start: date, end: date, *, kinds: Sequence[str] = (), groups: Sequence[int] | None = None
) -> dict[int, int]:
    """``assignee id -> tickets resolved`` on the report days ``start``..``end`` of the
    ``kinds`` (empty: every kind) in the queues ``groups`` (None: every queue), agents with
    none left out, nobody (0) included."""
    counts: Counter[int] = Counter()
    edges = [(start, end)]
    months = whole_months(start, end)
    if months is not None:
        first, last = months
        m = MonthlyAgents
        where: list[ColumnElement[bool]] = [m.month >= first, m.month <= last]
        where += _narrowed(m, kinds, groups)
        found = select(m.assignee_id, func.sum(m.resolved)).where(*where).group_by(m.assignee_id)
        counts.update({a: int(n) for a, n in db.session.execute(found)})
        edges = [(start, first - timedelta(days=1)), (next_month(last), end)]
    f = TicketFact
    for low, high in edges:  # a query per range: an index-only scan each
        if low > high:
            continue
        facts = (
            select(f.assignee_id, func.count())
            .where(f.resolved_day >= low, f.resolved_day <= high, *_narrowed(f, kinds, groups))
            .group_by(f.assignee_id)
        )
        counts.update({a: int(n) for a, n in db.session.execute(facts)})
    return {a: n for a, n in counts.items() if n}


def _narrowed(
    model: Any, kinds: Sequence[str], groups: Sequence[int] | None
) -> list[ColumnElement[bool]]:
    out: list[ColumnElement[bool]] = []
    if kinds:
        out.append(model.kind.in_(kinds))
    if groups is not None:
        out.append(model.group_id.in_(groups))
    return out
