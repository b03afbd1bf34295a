"""Request fulfilment time per catalog item and approval wait time."""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, func, select

from app.extensions import db
from app.reports.measures.base import (
    Figure,
    Point,
    day_range,
    duration_stats,
    filters,
    in_scope,
    nearest_rank,
)
from app.reports.rollups.models import TicketFact
from app.reports.scope import Scope
from app.requests.models import Approval
from app.tickets.models import TicketKind

ITEM = TicketKind.REQUEST_ITEM.value


def item_where(scope: Scope) -> list[ColumnElement[bool]]:
    """Requested items (RITM) fulfilled in the range that the scope's filters keep."""
    return [
        TicketFact.kind == ITEM,
        *day_range(TicketFact.resolved_day, scope),
        *filters(TicketFact, scope),
    ]


def fulfilment_time(scope: Scope, *, basis: str = "wall") -> Figure:
    """Time from ordering to delivery of the requested items fulfilled in the range: median,
    p90, mean overall, and the mean per catalog item (``Point.key`` = catalog item id)."""
    column = TicketFact.resolution_wall if basis == "wall" else TicketFact.resolution_business
    where = item_where(scope)
    count, stats = duration_stats(column, where)
    rows = db.session.execute(
        select(TicketFact.catalog_item_id, func.avg(column), func.count(column))
        .where(*where)
        .group_by(TicketFact.catalog_item_id)
        .order_by(TicketFact.catalog_item_id)
    ).all()
    series = tuple(Point(item, round(float(m), 1), int(n)) for item, m, n in rows if n)
    return Figure(
        "fulfilment_time", stats["median"], count, "seconds", stats, series, "catalog_item",
        {"basis": basis},
    )  # fmt: skip


def approval_where(scope: Scope) -> list[ColumnElement[bool]]:
    """Approvals decided in the range, of requested items the scope's filters keep."""
    return in_scope(Approval.decided_at, Approval.item_id, scope)


def approval_wait(scope: Scope) -> Figure:
    """Wall time from an approval's request to its decision, over the approvals decided in
    the range (median, p90, mean in seconds, computed in Python: a few rows per item)."""
    waits = sorted(
        max(0.0, (decided - requested).total_seconds())
        for requested, decided in db.session.execute(
            select(Approval.requested_at, Approval.decided_at).where(*approval_where(scope))
        )
        if decided is not None
    )
    stats = {
        "median": nearest_rank(waits, 0.5),
        "p90": nearest_rank(waits, 0.9),
        "mean": round(sum(waits) / len(waits), 1) if waits else None,
    }
    return Figure("approval_wait", stats["median"], len(waits), "seconds", stats)


def approval_item_ids(scope: Scope) -> Select:
    return select(Approval.item_id).where(*approval_where(scope)).distinct()
