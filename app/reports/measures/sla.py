"""SLA compliance and breaches over the task SLA records (the SLA reports' definitions:
a record counts once decided, met or breached; its day is the day its clock started)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, case, func, select

from app.extensions import db
from app.reports.measures.base import (
    Figure,
    Point,
    as_date,
    filters,
    fold_weeks,
    ratio,
    report_date,
)
from app.reports.rollups.models import TicketFact
from app.reports.scope import Scope
from app.sla.models import SlaKind, TaskSla
from app.sla.reports import DECIDED


def record_where(scope: Scope, kind: str | None = None) -> list[ColumnElement[bool]]:
    """Decided records whose clock started in the range, of the scope's queues and tickets."""
    where: list[ColumnElement[bool]] = [
        TaskSla.stage.in_(DECIDED),
        TaskSla.started_at >= scope.since,
        TaskSla.started_at < scope.until,
    ]
    if kind is not None:
        where.append(TaskSla.kind == SlaKind(kind))
    if scope.groups:
        where.append(TaskSla.group_id.in_(scope.groups))
    if scope.priorities:
        where.append(TaskSla.priority.in_(scope.priorities))
    narrowed = [f for f in filters(TicketFact, scope) if not _is_group_or_priority(f)]
    if narrowed:
        where.append(TaskSla.ticket_id.in_(select(TicketFact.ticket_id).where(*narrowed)))
    return where


def _is_group_or_priority(condition: ColumnElement[bool]) -> bool:
    left = getattr(condition, "left", None)
    return getattr(left, "key", None) in ("group_id", "priority")


def sla_compliance(scope: Scope, *, kind: str | None = None, by: str | None = None) -> Figure:
    """Percentage of decided records met (``kind``: response or resolution, None: both);
    ``stats['breached']`` counts the breached ones."""
    where = record_where(scope, kind)
    breached = func.sum(case((TaskSla.breached_at.is_not(None), 1), else_=0))
    total, missed = db.session.execute(select(func.count(), breached).where(*where)).one()
    total, missed = int(total), int(missed or 0)
    series: tuple[Point, ...] = ()
    if by in ("day", "week"):
        day = report_date(TaskSla.started_at, scope)
        rows = [
            (as_date(d), float(n - int(b or 0)), int(n))
            for d, n, b in db.session.execute(
                select(day, func.count(), breached).where(*where).group_by(day).order_by(day)
            )
        ]
        if by == "week":
            rows = fold_weeks(rows)
        series = tuple(Point(k, ratio(met, n), n) for k, met, n in rows)
    elif by in ("group", "priority"):
        key = TaskSla.group_id if by == "group" else TaskSla.priority
        series = tuple(
            Point(k, ratio(n - int(b or 0), n), int(n))
            for k, n, b in db.session.execute(
                select(key, func.count(), breached).where(*where).group_by(key).order_by(key)
            )
        )
    stats = {"breached": float(missed), "met": float(total - missed)}
    return Figure(
        "sla_compliance", ratio(total - missed, total), total, "percent", stats, series, by,
        {"kind": kind},
    )  # fmt: skip


def sla_tickets(scope: Scope, *, kind: str | None = None, breached: bool | None = None) -> Select:
    """The tickets of the records the compliance figure counts (``breached``: only the
    breached or only the met ones)."""
    where = record_where(scope, kind)
    if breached is True:
        where.append(TaskSla.breached_at.is_not(None))
    elif breached is False:
        where.append(TaskSla.breached_at.is_(None))
    return select(TaskSla.ticket_id).where(*where).distinct()
