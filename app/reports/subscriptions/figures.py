"""The figures of a weekly report, and the seam through which they are computed.

A weekly mail reports on a :class:`ReportView` (a report page and its filters, as one person
sees it, over one week) with a ``summary_for(view) -> [(label, value)]`` callable. Until the
report measures exist, :func:`plain_summary` counts on plain queries, over the tickets the
person may see (the page's filters are not applied yet): opened in the week, resolved in the
week, and the backlog (opened, not yet resolved or closed) at its end."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, or_, select

from app.auth.models import User
from app.exports import Table
from app.extensions import db
from app.reports.subscriptions.weeks import Week
from app.tickets.models import Ticket
from app.tickets.visibility import visible_tickets


@dataclass(frozen=True)
class ReportView:
    """What one weekly mail reports on."""

    viewer: User
    endpoint: str
    query: str
    title: str
    week: Week


Summary = Callable[[ReportView], list[tuple[str, Any]]]


@dataclass(frozen=True)
class WeekCounts:
    week: Week
    opened: int
    resolved: int
    backlog: int


def weekly_counts(viewer: User, weeks: Sequence[Week]) -> list[WeekCounts]:
    """Opened, resolved and end-of-week backlog for each of ``weeks``, over the tickets
    ``viewer`` may see, in one query."""
    if not weeks:
        return []
    done_at = func.coalesce(Ticket.resolved_at, Ticket.closed_at)
    columns = []
    for week in weeks:
        columns += [
            func.count().filter(and_(Ticket.opened_at >= week.start, Ticket.opened_at < week.end)),
            func.count().filter(and_(done_at >= week.start, done_at < week.end)),
            func.count().filter(
                and_(Ticket.opened_at < week.end, or_(done_at.is_(None), done_at >= week.end))
            ),
        ]
    query = visible_tickets(viewer, select(*columns).select_from(Ticket))
    row = db.session.execute(query).one()
    return [
        WeekCounts(week, int(row[3 * n]), int(row[3 * n + 1]), int(row[3 * n + 2]))
        for n, week in enumerate(weeks)
    ]


def counts_table(counts: Sequence[WeekCounts]) -> Table:
    """The weekly figures as a table (a chart's and the exports' data)."""
    return Table(
        key="weekly",
        title="Tickets per week",
        columns=("Week of", "Opened", "Resolved or closed", "Backlog at the end"),
        rows=[(c.week.monday, c.opened, c.resolved, c.backlog) for c in counts],
    )


def plain_summary(view: ReportView) -> list[tuple[str, Any]]:
    """The week's figures on plain queries (see the module's docstring)."""
    (counts,) = weekly_counts(view.viewer, [view.week])
    return [
        ("Opened", counts.opened),
        ("Resolved or closed", counts.resolved),
        ("Backlog at the end of the week", counts.backlog),
    ]
