"""The tickets behind each figure of the dashboards, as one query of ticket ids.

A figure is the count of a set and its drill-down lists that same set (the console with the
same filters when the console can say it, else the reports' ticket list), so the two cannot
disagree. A set is an incident condition on top of the dashboard's reach and filters; the live
ones (backlog, due soon, breaching, at risk, waiting) are as of ``now``, the others count the
range. At risk and breaching read the SLA records (``task_slas``) the SLA domain keeps.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, case, exists, func, or_, select

from app.cmdb.models import ConfigurationItem
from app.extensions import db
from app.incidents.filters import day_start, within_days
from app.incidents.models import Incident, MajorState, incident_cis
from app.incidents.workflow import OPEN_STATES
from app.reports.pages.filters import Filters
from app.reports.pages.reach import Reach
from app.sla.models import SlaStage, TaskSla
from app.tickets.models import Ticket, TicketKind

OPEN = [s.value for s in OPEN_STATES]
DUE_SOON = timedelta(hours=4)
RUNNING = [SlaStage.IN_PROGRESS, SlaStage.PAUSED]
# Backlog age bands: (key, label, from days, to days).
AGES = (
    ("0-1", "Under a day", 0, 1),
    ("1-3", "1 to 3 days", 1, 3),
    ("3-7", "3 to 7 days", 3, 7),
    ("7-30", "1 to 4 weeks", 7, 30),
    ("30+", "Over 4 weeks", 30, None),
)


@dataclass(frozen=True)
class Context:
    """What a set is computed for: the dashboard's reach, its filters, the instant."""

    reach: Reach
    filters: Filters
    now: datetime

    @property
    def today(self) -> date:
        return self.now.date()


Condition = Callable[[Context], list[ColumnElement[bool]]]


def _open(ctx: Context) -> list[ColumnElement[bool]]:
    return [Ticket.state.in_(OPEN)]


def _sla(*conditions: ColumnElement[bool]) -> ColumnElement[bool]:
    return exists().where(TaskSla.ticket_id == Ticket.id, *conditions)


def _breaching(ctx: Context) -> ColumnElement[bool]:
    return or_(
        _sla(TaskSla.breached_at.is_not(None)),
        _sla(TaskSla.stage == SlaStage.IN_PROGRESS, TaskSla.due_at <= ctx.now),
    )


SETS: dict[str, tuple[str, Condition]] = {
    "opened": (
        "Opened",
        lambda c: within_days(Ticket.opened_at, c.filters.start, c.filters.end),
    ),
    "resolved": (
        "Resolved",
        lambda c: within_days(Ticket.resolved_at, c.filters.start, c.filters.end),
    ),
    "backlog": ("Open now", _open),
    "unassigned": ("Unassigned", lambda c: [*_open(c), Ticket.assignee_id.is_(None)]),
    "due_soon": (
        "Due within 4 hours",
        lambda c: [
            *_open(c),
            ~_breaching(c),
            _sla(
                TaskSla.stage == SlaStage.IN_PROGRESS,
                TaskSla.due_at > c.now,
                TaskSla.due_at <= c.now + DUE_SOON,
            ),
        ],
    ),
    "breaching": ("SLA breached", lambda c: [*_open(c), _breaching(c)]),
    "at_risk": (
        "At risk",
        lambda c: [
            *_open(c),
            ~_breaching(c),
            _sla(TaskSla.stage.in_(RUNNING), TaskSla.warning_level > 0),
        ],
    ),
    "waiting": (
        "Caller waiting for an answer",
        lambda c: [*_open(c), Ticket.caller_replied_at.is_not(None)],
    ),
    "resolved_today": (
        "Resolved today",
        lambda c: within_days(Ticket.resolved_at, c.today, c.today),
    ),
    "major": (
        "Major incidents",
        lambda c: [
            *within_days(Ticket.opened_at, c.filters.start, c.filters.end),
            Ticket.id.in_(
                select(Incident.__table__.c.id).where(
                    Incident.__table__.c.major_state == MajorState.ACCEPTED
                )
            ),
        ],
    ),
}


def base(ctx: Context) -> list[ColumnElement[bool]]:
    """Incidents of the dashboard's reach that its filters keep."""
    return [Ticket.kind == TicketKind.INCIDENT, ctx.reach.condition(), *ctx.filters.conditions()]


def age_band(key: str, now: datetime) -> list[ColumnElement[bool]]:
    """Opened between the band's ages before ``now``.

    :raise KeyError: no such band.
    """
    _, _, low, high = next(a for a in AGES if a[0] == key)
    conditions = [Ticket.opened_at <= now - timedelta(days=low)]
    if high is not None:
        conditions.append(Ticket.opened_at > now - timedelta(days=high))
    return conditions


def age_case(now: datetime) -> ColumnElement:
    """The key of the age band (``AGES``) an open ticket is in, as of ``now``."""
    whens = [
        (Ticket.opened_at > now - timedelta(days=high), key)
        for key, _, _, high in AGES
        if high is not None
    ]
    return case(*whens, else_=AGES[-1][0])


def ticket_ids(
    name: str,
    ctx: Context,
    *,
    assignee: int | None = None,
    day: date | None = None,
    age: str | None = None,
    ci: int | None = None,
) -> Select:
    """The ids of the tickets behind figure ``name`` (narrowed to one assignee, one day of
    the range, one backlog age band or one linked CI for a row of a table), newest first.

    :raise KeyError: no such set or age band.
    """
    conditions = [*base(ctx), *SETS[name][1](ctx)]
    if assignee is not None:
        conditions.append(Ticket.assignee_id == assignee)
    if day is not None:
        column = Ticket.resolved_at if name == "resolved" else Ticket.opened_at
        conditions.append(column >= day_start(day))
        conditions.append(column < day_start(day + timedelta(days=1)))
    if age is not None:
        conditions.extend(age_band(age, ctx.now))
    if ci is not None:
        linked = select(incident_cis.c.incident_id).where(incident_cis.c.ci_id == ci)
        conditions.append(Ticket.id.in_(linked))
    return select(Ticket.id).where(*conditions).order_by(Ticket.opened_at.desc(), Ticket.id.desc())


def count(name: str, ctx: Context) -> int:
    """How many tickets figure ``name`` counts."""
    query = select(func.count()).where(*base(ctx), *SETS[name][1](ctx))
    return int(db.session.scalar(query) or 0)


def count_by(name: str, ctx: Context, column: Any) -> dict[Any, int]:
    """Figure ``name`` per value of ``column`` (a ticket column or expression): one query."""
    query = select(column, func.count()).where(*base(ctx), *SETS[name][1](ctx)).group_by(column)
    return {key: int(n) for key, n in db.session.execute(query)}


def utc_day(column: Any) -> ColumnElement:
    """The UTC day of a timestamp column, as the database gives it (a date or ISO text)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return func.date(func.timezone("UTC", column))
    return func.date(column)


def per_day(name: str, ctx: Context) -> dict[date, int]:
    """Figure ``name`` (``opened`` or ``resolved``) per UTC day of the range: one query."""
    column = Ticket.resolved_at if name == "resolved" else Ticket.opened_at
    counts = count_by(name, ctx, utc_day(column))
    found = {
        key if isinstance(key, date) else date.fromisoformat(str(key)): n
        for key, n in counts.items()
    }
    days = (ctx.filters.end - ctx.filters.start).days + 1
    return {
        ctx.filters.start + timedelta(days=d): found.get(ctx.filters.start + timedelta(days=d), 0)
        for d in range(days)
    }


def per_service(name: str, ctx: Context, service_ids: list[int]) -> dict[int, int]:
    """Figure ``name`` per business service (an incident on two services counts in both):
    one query for any number of services."""
    if not service_ids:
        return {}
    incidents = Incident.__table__
    links = (
        select(incident_cis.c.ci_id.label("ci_id"), incident_cis.c.incident_id.label("ticket_id"))
        .where(incident_cis.c.ci_id.in_(service_ids))
        .union(
            select(ConfigurationItem.id, incidents.c.id)
            .join(incidents, incidents.c.affected_service == ConfigurationItem.name)
            .where(ConfigurationItem.id.in_(service_ids))
        )
        .subquery()
    )
    query = (
        select(links.c.ci_id, func.count())
        .join(Ticket, Ticket.id == links.c.ticket_id)
        .where(*base(ctx), *SETS[name][1](ctx))
        .group_by(links.c.ci_id)
    )
    return {ci: int(n) for ci, n in db.session.execute(query)}


def top_cis(ctx: Context, limit: int = 10) -> list[tuple[int, str, int]]:
    """The CIs linked to the most incidents opened in the range: ``(id, name, count)``."""
    query = (
        select(ConfigurationItem.id, ConfigurationItem.name, func.count())
        .join(incident_cis, incident_cis.c.ci_id == ConfigurationItem.id)
        .join(Ticket, Ticket.id == incident_cis.c.incident_id)
        .where(*base(ctx), *SETS["opened"][1](ctx))
        .group_by(ConfigurationItem.id, ConfigurationItem.name)
        .order_by(func.count().desc(), ConfigurationItem.name)
        .limit(limit)
    )
    return [(i, n, int(c)) for i, n, c in db.session.execute(query)]
