"""Service owners' reports over task SLA records: plain SQL, the same on SQLite and PostgreSQL.

Every function takes the ids of the queues the reader may see (``permissions.visible_groups``)
and returns plain rows (dicts) that pages, CSV exports and tests share.

Definitions. A record *counts* for compliance once it is decided: met, or breached (a running
clock past its target is already breached). Its *month* is the UTC month its clock started
(stored as ``started_month``). Times are business time on the policy's calendar, over finished
clocks (met or breached and stopped); median and p90 use the nearest-rank method (the value at
rank ⌈p·n⌉).

Speed (``bench/sla_reports.py``, 1,000,000 records): compliance and times read the partial
covering index ``ix_task_slas_report`` (decided records only) with an index-only scan on
PostgreSQL; breaches and at-risk read their own indexes and a page of rows.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Integer, and_, case, func, select, type_coerce
from sqlalchemy.dialects.postgresql import ARRAY, array

from app.auth.models import Group
from app.db import is_postgresql
from app.extensions import db
from app.sla.models import SlaPolicy, SlaStage, TaskSla
from app.tickets.models import Ticket

DECIDED = (SlaStage.MET, SlaStage.BREACHED)


def _pct(met: int, total: int) -> float | None:
    return round(100 * met / total, 1) if total else None


def _month_text(month: int) -> str:
    """``202603`` → ``"2026-03"``."""
    return f"{month // 100:04d}-{month % 100:02d}"


def compliance(group_ids: Collection[int], since: datetime | None = None) -> list[dict]:
    """Met, breached and % met per queue, kind, priority and month.

    Aggregated on ``group_id`` and the stored ``started_month`` (an integer: no per-row date
    arithmetic), read from the covering index ``ix_task_slas_report``; queue names are joined
    to the few result rows afterwards.
    """
    if not group_ids:
        return []
    breached = func.sum(case((TaskSla.breached_at.is_not(None), 1), else_=0)).label("breached")
    met = func.sum(case((TaskSla.breached_at.is_(None), 1), else_=0)).label("met")
    counts = (
        select(
            TaskSla.group_id, TaskSla.kind, TaskSla.priority, TaskSla.started_month, met, breached
        )
        .where(TaskSla.group_id.in_(group_ids), TaskSla.stage.in_(DECIDED))
        .group_by(TaskSla.group_id, TaskSla.kind, TaskSla.priority, TaskSla.started_month)
    )
    if since is not None:
        counts = counts.where(TaskSla.started_at >= since)
    counts = counts.subquery()
    query = (
        select(Group.name, counts)
        .join(Group, Group.id == counts.c.group_id)
        .order_by(counts.c.started_month.desc(), Group.name, counts.c.kind, counts.c.priority)
    )
    return [
        {
            "queue": row.name,
            "kind": _value(row.kind),
            "priority": row.priority,
            "month": _month_text(row.started_month),
            "met": int(row.met),
            "breached": int(row.breached),
            "total": int(row.met) + int(row.breached),
            "percent_met": _pct(int(row.met), int(row.met) + int(row.breached)),
        }
        for row in db.session.execute(query)
    ]


def trend(group_ids: Collection[int], since: datetime | None = None) -> list[dict]:
    """% met per month over all the reader's queues (the chart)."""
    return trend_of(compliance(group_ids, since))


def trend_of(rows: list[dict]) -> list[dict]:
    """The trend from compliance rows already read (the reports page reads them once)."""
    months: dict[str, list[int]] = {}
    for row in rows:
        totals = months.setdefault(row["month"], [0, 0])
        totals[0] += row["met"]
        totals[1] += row["total"]
    return [
        {"month": month, "met": met, "total": total, "percent_met": _pct(met, total)}
        for month, (met, total) in sorted(months.items())
    ]


def times(group_ids: Collection[int], since: datetime | None = None) -> list[dict]:
    """Count, median and p90 of business time to first response and to resolution, per queue
    (finished clocks only; started since ``since`` when given).

    Nearest rank (the value at rank ⌈p·n⌉): PostgreSQL's ``percentile_disc`` computes exactly
    that, both percentiles in one sort per queue; SQLite numbers the rows with a window.
    """
    if not group_ids:
        return []
    finished = [
        TaskSla.group_id.in_(group_ids),
        TaskSla.stage.in_(DECIDED),
        TaskSla.stopped_at.is_not(None),
    ]
    if since is not None:
        finished.append(TaskSla.started_at >= since)
    stats = _times_postgresql(finished) if is_postgresql(db.session) else _times_window(finished)
    query = (
        select(Group.name, stats)
        .join(Group, Group.id == stats.c.group_id)
        .order_by(Group.name, stats.c.kind)
    )
    return [
        {
            "queue": r.name,
            "kind": _value(r.kind),
            "count": int(r.n),
            "median_seconds": r.median,
            "p90_seconds": r.p90,
        }
        for r in db.session.execute(query)
    ]


def _times_postgresql(finished: list[Any]) -> Any:
    both = type_coerce(
        func.percentile_disc(array([0.5, 0.9])).within_group(TaskSla.elapsed_seconds),
        ARRAY(Integer),
    )
    ranked = (
        select(TaskSla.group_id, TaskSla.kind, func.count().label("n"), both.label("values"))
        .where(*finished)
        .group_by(TaskSla.group_id, TaskSla.kind)
        .subquery()
    )
    return select(
        ranked.c.group_id,
        ranked.c.kind,
        ranked.c.n,
        ranked.c["values"][1].label("median"),
        ranked.c["values"][2].label("p90"),
    ).subquery()


def _times_window(finished: list[Any]) -> Any:
    partition = (TaskSla.group_id, TaskSla.kind)
    ranked = (
        select(
            TaskSla.group_id,
            TaskSla.kind,
            TaskSla.elapsed_seconds,
            func.row_number()
            .over(partition_by=partition, order_by=(TaskSla.elapsed_seconds, TaskSla.id))
            .label("rn"),
            func.count().over(partition_by=partition).label("n"),
        )
        .where(*finished)
        .subquery()
    )

    def at_rank(percent: int) -> Any:
        rank = (ranked.c.n * percent + 99) // 100  # integer division: ⌈n·p⌉
        return func.max(case((ranked.c.rn == rank, ranked.c.elapsed_seconds), else_=None))

    return (
        select(
            ranked.c.group_id,
            ranked.c.kind,
            func.max(ranked.c.n).label("n"),
            at_rank(50).label("median"),
            at_rank(90).label("p90"),
        )
        .group_by(ranked.c.group_id, ranked.c.kind)
        .subquery()
    )


def _record_rows(query: Any) -> list[dict]:
    return [
        {
            "ticket": r.number,
            "summary": r.short_description,
            "queue": r.queue,
            "policy": r.policy,
            "kind": _value(r.kind),
            "priority": r.priority,
            "stage": _value(r.stage),
            "due_at": r.due_at,
            "breached_at": r.breached_at,
            "percentage": r.percentage,
        }
        for r in db.session.execute(query)
    ]


def _records_query(group_ids: Collection[int]) -> Any:
    return (
        select(
            Ticket.number,
            Ticket.short_description,
            Group.name.label("queue"),
            SlaPolicy.name.label("policy"),
            TaskSla.kind,
            TaskSla.priority,
            TaskSla.stage,
            TaskSla.due_at,
            TaskSla.breached_at,
            TaskSla.percentage,
        )
        .join(Ticket, Ticket.id == TaskSla.ticket_id)
        .join(SlaPolicy, SlaPolicy.id == TaskSla.policy_id)
        .join(Group, Group.id == TaskSla.group_id)
        .where(TaskSla.group_id.in_(group_ids))
    )


def breaches(group_ids: Collection[int], *, limit: int = 50, offset: int = 0) -> list[dict]:
    """Breached clocks, newest breach first."""
    if not group_ids:
        return []
    query = _records_query(group_ids).where(TaskSla.breached_at.is_not(None))
    query = query.order_by(TaskSla.breached_at.desc(), TaskSla.id.desc())
    return _record_rows(query.limit(limit).offset(offset))


def at_risk(group_ids: Collection[int], now: datetime, hours: int, limit: int = 200) -> list[dict]:
    """Running clocks not yet breached that are due within ``hours``, soonest first."""
    if not group_ids:
        return []
    query = _records_query(group_ids).where(
        and_(
            TaskSla.stage == SlaStage.IN_PROGRESS,
            TaskSla.breached_at.is_(None),
            TaskSla.due_at > now,
            TaskSla.due_at <= now + timedelta(hours=hours),
        )
    )
    return _record_rows(query.order_by(TaskSla.due_at, TaskSla.id).limit(limit))


def _value(value: Any) -> Any:
    return value.value if hasattr(value, "value") else value


def duration_text(seconds: int | None) -> str:
    if seconds is None:
        return "—"
    hours, minutes = divmod(int(seconds) // 60, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"


__all__ = ["at_risk", "breaches", "compliance", "times", "trend"]
