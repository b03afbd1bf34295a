"""The figures of a weekly report, and the seam through which they are computed.

A weekly mail reports on a :class:`ReportView` (a report page and its filters, as one person
sees it, over one week) with a ``summary_for(view) -> [(label, value)]`` callable.
:func:`measures_summary` (the default) gives the report measures (``app.reports.measures``)
over the week with the view's filters, for the groups the person may report on; for someone
the measures refuse (an agent who manages no group) it falls back to :func:`plain_summary`,
which counts on plain queries over the tickets the person may see (filters not applied):
opened in the week, resolved or closed in the week, and the backlog at its end. The weekly
page's chart uses the plain counts too."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from flask_babel import gettext as _
from sqlalchemy import and_, func, or_, select
from werkzeug.datastructures import MultiDict

from app.auth.models import User
from app.errors import Forbidden, Invalid
from app.exports import Table
from app.extensions import db
from app.i18n.formats import duration, iso_week, number, percent
from app.reports.measures import figure
from app.reports.scope import parse_scope
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
        title=_("Tickets per week"),
        columns=(_("Week"), _("Opened"), _("Resolved or closed"), _("Backlog at the end")),
        rows=[(iso_week(c.week.monday), c.opened, c.resolved, c.backlog) for c in counts],
    )


def plain_summary(view: ReportView) -> list[tuple[str, Any]]:
    """The week's figures on plain queries (see the module's docstring)."""
    (counts,) = weekly_counts(view.viewer, [view.week])
    return [
        (_("Opened"), number(counts.opened)),
        (_("Resolved or closed"), number(counts.resolved)),
        (_("Backlog at the end of the week"), number(counts.backlog)),
    ]


SCOPE_FILTERS = ("group", "service", "category", "priority", "channel", "kind")
"""The query arguments of a view that narrow the measures (its dates are the week's)."""


def measures_summary(view: ReportView) -> list[tuple[str, Any]]:
    """The week's report measures with the view's filters (see the module's docstring)."""
    pairs = [(key, value) for key, value in parse_qsl(view.query) if key in SCOPE_FILTERS]
    monday, sunday = view.week.monday, view.week.sunday
    args = MultiDict([*pairs, ("start", monday.isoformat()), ("end", sunday.isoformat())])
    try:
        scope = parse_scope(args, today=sunday)
        opened = figure("opened", scope, view.viewer)
        resolved = figure("resolved", scope, view.viewer)
        backlog = figure("backlog", scope, view.viewer, now=view.week.end)
        response = figure("response_time", scope, view.viewer)
        resolution = figure("resolution_time", scope, view.viewer)
        compliance = figure("sla_compliance", scope, view.viewer)
        satisfaction = figure("csat", scope, view.viewer)
    except Forbidden:
        return plain_summary(view)
    except Invalid as error:  # a filter that no longer exists: a queue deleted since
        return [(_("The view's filters"), _("cannot be applied: %(why)s", why=error.message))]
    return [
        (_("Tickets opened"), _count(opened.value)),
        (_("Tickets resolved"), _count(resolved.value)),
        (_("Backlog at the end of the week"), _count(backlog.value)),
        (_("First response time (median, business hours)"), duration(response.value)),
        (_("Resolution time (median, business hours)"), duration(resolution.value)),
        (
            _("SLA compliance"),
            "—" if compliance.value is None else percent(compliance.value / 100, 1),
        ),
        (
            _("Satisfaction (average of 5)"),
            "—" if satisfaction.value is None else number(satisfaction.value, 1),
        ),
    ]


def _count(value: float | None) -> str:
    return number(int(value or 0))
