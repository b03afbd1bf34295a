"""Service owners' reports over task SLA records: plain SQL, the same on SQLite and PostgreSQL.

Every function takes the ids of the queues the reader may see (``permissions.visible_groups``)
and returns plain rows (dicts) that pages, CSV exports and tests share.

Definitions. A record *counts* for compliance once it is decided: met, or breached (a running
clock past its target is already breached). Its *month* is the UTC month its clock started.
Times are business time on the policy's calendar, over finished clocks (met or breached and
stopped); median and p90 use the nearest-rank method (the value at rank ⌈p·n⌉), computed with
window functions both databases have.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, select

from app.auth.models import Group
from app.extensions import db
from app.sla.models import SlaPolicy, SlaStage, TaskSla
from app.tickets.models import Ticket

DECIDED = (SlaStage.MET, SlaStage.BREACHED)


def _month(column: Any) -> Any:
    if db.session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM")
    return func.strftime("%Y-%m", column)


def _pct(met: int, total: int) -> float | None:
    return round(100 * met / total, 1) if total else None


def compliance(group_ids: Collection[int], since: datetime | None = None) -> list[dict]:
    """Met, breached and % met per queue, kind, priority and month."""
    if not group_ids:
        return []
    month = _month(TaskSla.started_at).label("month")
    breached = func.sum(case((TaskSla.breached_at.is_not(None), 1), else_=0)).label("breached")
    met = func.sum(case((TaskSla.breached_at.is_(None), 1), else_=0)).label("met")
    query = (
        select(Group.name, TaskSla.kind, TaskSla.priority, month, met, breached)
        .join(Group, Group.id == TaskSla.group_id)
        .where(TaskSla.group_id.in_(group_ids), TaskSla.stage.in_(DECIDED))
        .group_by(Group.name, TaskSla.kind, TaskSla.priority, month)
        .order_by(month.desc(), Group.name, TaskSla.kind, TaskSla.priority)
    )
    if since is not None:
        query = query.where(TaskSla.started_at >= since)
    return [
        {
            "queue": row.name,
            "kind": _value(row.kind),
            "priority": row.priority,
            "month": row.month,
            "met": int(row.met),
            "breached": int(row.breached),
            "total": int(row.met) + int(row.breached),
            "percent_met": _pct(int(row.met), int(row.met) + int(row.breached)),
        }
        for row in db.session.execute(query)
    ]


def trend(group_ids: Collection[int], since: datetime | None = None) -> list[dict]:
    """% met per month over all the reader's queues (the chart)."""
    if not group_ids:
        return []
    month = _month(TaskSla.started_at).label("month")
    met = func.sum(case((TaskSla.breached_at.is_(None), 1), else_=0)).label("met")
    query = (
        select(month, met, func.count().label("total"))
        .where(TaskSla.group_id.in_(group_ids), TaskSla.stage.in_(DECIDED))
        .group_by(month)
        .order_by(month)
    )
    if since is not None:
        query = query.where(TaskSla.started_at >= since)
    return [
        {
            "month": r.month,
            "met": int(r.met),
            "total": int(r.total),
            "percent_met": _pct(int(r.met), int(r.total)),
        }
        for r in db.session.execute(query)
    ]


def times(group_ids: Collection[int]) -> list[dict]:
    """Count, median and p90 of business time to first response and to resolution, per queue
    (finished clocks only)."""
    if not group_ids:
        return []
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
        .where(
            TaskSla.group_id.in_(group_ids),
            TaskSla.stage.in_(DECIDED),
            TaskSla.stopped_at.is_not(None),
        )
        .subquery()
    )

    def at_rank(percent: int) -> Any:
        rank = (ranked.c.n * percent + 99) // 100  # integer division: ⌈n·p⌉ on both databases
        return func.max(case((ranked.c.rn == rank, ranked.c.elapsed_seconds), else_=None))

    query = (
        select(
            Group.name,
            ranked.c.kind,
            func.max(ranked.c.n).label("n"),
            at_rank(50).label("median"),
            at_rank(90).label("p90"),
        )
        .join(Group, Group.id == ranked.c.group_id)
        .group_by(Group.name, ranked.c.kind)
        .order_by(Group.name, ranked.c.kind)
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
