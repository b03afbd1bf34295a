"""Keep ``report_monthly_agents`` (tickets resolved per month, kind, queue and assignee) in
step with the facts.

:func:`refresh_agents` moves the counts by the difference between some tickets' old and new
facts (called by :func:`app.reports.rollups.facts.refresh_facts`, in the same increments as
the other rollups); :func:`rebuild_agents` counts them again from every fact with one
``INSERT ... SELECT`` (called by :func:`app.reports.rollups.facts.rebuild` once the facts
are written). Both flush, never commit.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any, cast

from sqlalchemy import Date, Table, delete, func, insert, select
from sqlalchemy import cast as sql_cast

from app.db import is_postgresql
from app.extensions import db
from app.reports.rollups.models import MonthlyAgents, TicketFact
from app.reports.rollups.upsert import add_rows

AGENTS = cast(Table, MonthlyAgents.__table__)
AGENT_KEY = ("month", "kind", "group_id", "assignee_id")
Key = tuple[Any, ...]


def agent_counts(facts: Iterable[dict[str, Any]]) -> Counter[Key]:
    """What the ``facts`` add to the monthly per-agent counts: ``(month, kind, group_id,
    assignee_id)`` of each resolved ticket and how many (see ``MonthlyAgents``)."""
    out: Counter[Key] = Counter()
    for fact in facts:
        if fact["resolved_day"] is not None:
            month = fact["resolved_day"].replace(day=1)
            out[(month, fact["kind"], fact["group_id"], fact["assignee_id"])] += 1
    return out


def refresh_agents(old: Iterable[dict[str, Any]], new: Iterable[dict[str, Any]]) -> None:
    """Move the counts from the tickets' ``old`` facts to their ``new`` ones."""
    counts = agent_counts(new)
    counts.subtract(agent_counts(old))
    rows = [
        {**dict(zip(AGENT_KEY, key, strict=True)), "resolved": n} for key, n in counts.items() if n
    ]
    add_rows(AGENTS, AGENT_KEY, rows, empty=False)


def month_of(day: Any) -> Any:
    """The first day of the month of a date column, in SQL."""
    if is_postgresql(db.session):
        return sql_cast(func.date_trunc("month", day), Date)
    return func.date(day, "start of month")


def rebuild_agents() -> None:
    """Count the monthly per-agent rows again from every fact: one statement, set-based."""
    db.session.execute(delete(MonthlyAgents))
    f = TicketFact
    month = month_of(f.resolved_day)
    counted = (
        select(month, f.kind, f.group_id, f.assignee_id, func.count())
        .where(f.resolved_day.is_not(None))
        .group_by(month, f.kind, f.group_id, f.assignee_id)
    )
    db.session.execute(insert(AGENTS).from_select([*AGENT_KEY, "resolved"], counted))


def stored_agents() -> Counter[Key]:
    """The maintained monthly per-agent counts, without rows that count nothing (the tests
    compare them with :func:`agent_counts` of every fact)."""
    rows = db.session.execute(select(*(AGENTS.c[k] for k in AGENT_KEY), AGENTS.c.resolved))
    return Counter({tuple(row[:-1]): int(row[-1]) for row in rows if row[-1]})
