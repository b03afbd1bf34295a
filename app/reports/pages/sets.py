"""The tickets behind each figure of the dashboards, as one query of ticket ids.

A figure is the count of a set and its drill-down lists that same set (the console with the
same filters when the console can say it, else the reports' ticket list), so the two cannot
disagree. A set is a condition on the ticket facts (``report_ticket_facts``, the rollups the
measures read) on top of the dashboard's reach and filters, so a dashboard counts a day, a
queue or a service exactly as the measures of ``docs/metrics.md`` do: the opening and
resolution days are the facts' (``opened_day``, ``resolved_day``), a ticket is open while it
has no ``ended_at``, and a ticket is on a service when the service is its affected service
(``TicketFact.service``, the CI's name). The live ones (backlog, due soon, breaching, at
risk, waiting) are as of ``now``, the others count the range. What no rollup holds is read
where it lives: at risk, due soon and breaching from the SLA records (``task_slas``), the
caller's unanswered reply from the ticket, a major incident from the incident.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, exists, func, or_, select

from app.cmdb.models import ConfigurationItem
from app.extensions import db
from app.i18n import N_
from app.incidents.models import Incident, MajorState, incident_cis
from app.reports.measures.agents import resolved_per_agent
from app.reports.measures.base import as_date
from app.reports.pages.filters import Filters
from app.reports.pages.reach import Reach
from app.reports.rollups.models import DailyChannels, DailyRollup, TicketFact
from app.reports.rollups.shared import Days, daily_counters, summed
from app.reports.scope import report_day
from app.sla.models import SlaStage, TaskSla
from app.tickets.models import Ticket, TicketKind

DUE_SOON = timedelta(hours=4)
RUNNING = [SlaStage.IN_PROGRESS, SlaStage.PAUSED]
# Backlog age bands: (key, label, from days, to days).
AGES = (
    ("0-1", N_("Under a day"), 0, 1),
    ("1-3", N_("1 to 3 days"), 1, 3),
    ("3-7", N_("3 to 7 days"), 3, 7),
    ("7-30", N_("1 to 4 weeks"), 7, 30),
    ("30+", N_("Over 4 weeks"), 30, None),
)


@dataclass(frozen=True)
class Context:
    """What a set is computed for: the dashboard's reach, its filters, the instant."""

    reach: Reach
    filters: Filters
    now: datetime

    @property
    def today(self) -> date:
        """Today in the report zone (the day "resolved today" counts)."""
        return report_day(self.now)


Condition = Callable[[Context], list[ColumnElement[bool]]]


F = TicketFact


def within(column: Any, first: date, last: date) -> list[ColumnElement[bool]]:
    """A fact's day column on the days ``first`` to ``last`` (both included)."""
    return [column >= first, column <= last]


def _open(ctx: Context) -> list[ColumnElement[bool]]:
    return [F.ended_at.is_(None)]


def _sla(*conditions: ColumnElement[bool]) -> ColumnElement[bool]:
    return exists().where(TaskSla.ticket_id == F.ticket_id, *conditions)


def _breaching(ctx: Context) -> ColumnElement[bool]:
    return or_(
        _sla(TaskSla.breached_at.is_not(None)),
        _sla(TaskSla.stage == SlaStage.IN_PROGRESS, TaskSla.due_at <= ctx.now),
    )


# The live sets: tickets open now (no ``ended_at``) and, besides, these conditions.
OPEN: dict[str, tuple[str, Condition]] = {
    "backlog": (N_("Open now"), lambda c: []),
    "unassigned": (N_("Unassigned"), lambda c: [F.assignee_id == 0]),
    "due_soon": (
        N_("Due within 4 hours"),
        lambda c: [
            ~_breaching(c),
            _sla(
                TaskSla.stage == SlaStage.IN_PROGRESS,
                TaskSla.due_at > c.now,
                TaskSla.due_at <= c.now + DUE_SOON,
            ),
        ],
    ),
    "breaching": (N_("SLA breached"), lambda c: [_breaching(c)]),
    "at_risk": (
        N_("At risk"),
        lambda c: [~_breaching(c), _sla(TaskSla.stage.in_(RUNNING), TaskSla.warning_level > 0)],
    ),
    "waiting": (
        N_("Caller waiting for an answer"),
        lambda c: [
            exists().where(Ticket.id == F.ticket_id, Ticket.caller_replied_at.is_not(None)),
        ],
    ),
}


def _open_set(extra: Condition) -> Condition:
    return lambda c: [*_open(c), *extra(c)]


SETS: dict[str, tuple[str, Condition]] = {
    "opened": (N_("Opened"), lambda c: within(F.opened_day, c.filters.start, c.filters.end)),
    "resolved": (N_("Resolved"), lambda c: within(F.resolved_day, c.filters.start, c.filters.end)),
    **{name: (label, _open_set(extra)) for name, (label, extra) in OPEN.items()},
    "resolved_today": (N_("Resolved today"), lambda c: within(F.resolved_day, c.today, c.today)),
    "major": (
        N_("Major incidents"),
        lambda c: [
            *within(F.opened_day, c.filters.start, c.filters.end),
            F.ticket_id.in_(
                select(Incident.__table__.c.id).where(
                    Incident.__table__.c.major_state == MajorState.ACCEPTED
                )
            ),
        ],
    ),
}


def base(ctx: Context) -> list[ColumnElement[bool]]:
    """Incidents of the dashboard's reach that its filters keep."""
    return [F.kind == TicketKind.INCIDENT.value, ctx.reach.condition(), *ctx.filters.conditions()]


def age_band(key: str, now: datetime) -> list[ColumnElement[bool]]:
    """Opened between the band's ages before ``now``.

    :raise KeyError: no such band.
    """
    _, _, low, high = next(a for a in AGES if a[0] == key)
    conditions = [F.opened_at <= now - timedelta(days=low)]
    if high is not None:
        conditions.append(F.opened_at > now - timedelta(days=high))
    return conditions


def age_case(now: datetime) -> ColumnElement:
    """The key of the age band (``AGES``) an open ticket is in, as of ``now``."""
    whens = [
        (F.opened_at > now - timedelta(days=high), key)
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
        conditions.append(F.assignee_id == assignee)
    if day is not None:
        conditions.append(day_column(name) == day)
    if age is not None:
        conditions.extend(age_band(age, ctx.now))
    if ci is not None:
        linked = select(incident_cis.c.incident_id).where(incident_cis.c.ci_id == ci)
        conditions.append(F.ticket_id.in_(linked))
    return select(F.ticket_id).where(*conditions).order_by(F.opened_at.desc(), F.ticket_id.desc())


def day_column(name: str) -> Any:
    """The fact's day a dated set (opened, resolved) counts a ticket on."""
    return F.resolved_day if name == "resolved" else F.opened_day


# The sets the daily rollups count (their counter of the same name), and the fact columns a
# count of them may be split by with the rollup that holds the same value.
ROLLED = ("opened", "resolved")
ROLLED_BY: dict[str, Any] = {
    "group_id": DailyRollup,
    "priority": DailyRollup,
    "channel": DailyChannels,
}


def _rollup_where(name: str, ctx: Context, model: Any) -> list[ColumnElement[bool]] | None:
    """The rows of ``model`` (``DailyRollup`` or ``DailyChannels``) that count set ``name``
    in ``ctx`` (None: the set is not a rollup counter, or the reach or a filter is not in the
    rollup's key: an assignee, a service, a category, a channel or a priority). A year of
    facts is a million rows at scale; a rollup holds a row per day, queue and its key."""
    f, reach = ctx.filters, ctx.reach
    if name not in ROLLED or reach.assignee is not None or reach.services is not None:
        return None
    if f.service is not None or f.category is not None or f.channel is not None:
        return None
    if f.priority is not None and model is not DailyRollup:
        return None
    where = [model.kind == TicketKind.INCIDENT.value, *within(model.day, f.start, f.end)]
    if reach.groups is not None:
        where.append(model.group_id.in_(reach.group_ids))
    if f.group is not None:
        where.append(model.group_id == f.group)
    if f.priority is not None:
        where.append(model.priority == f.priority)
    return where


def _rolled_column(name: str, column: Any) -> Any:
    """The rollup column for a count of set ``name`` by fact ``column`` (None: no rollup
    holds it)."""
    key = getattr(column, "key", None)
    if column is day_column(name):
        return DailyRollup.day
    return getattr(ROLLED_BY[key], key) if key in ROLLED_BY else None


def _shared_days(name: str, ctx: Context) -> Days | None:
    """The page's daily rollup rows (``rollups.shared``) that count set ``name`` in ``ctx``
    (None: not a rollup counter with these reach and filters, or no page being built)."""
    if _rollup_where(name, ctx, DailyRollup) is None:
        return None
    f, reach = ctx.filters, ctx.reach
    groups = None if reach.groups is None else reach.group_ids
    if f.group is not None:
        groups = [f.group] if groups is None or f.group in groups else []
    priorities = () if f.priority is None else (f.priority,)
    kinds = (TicketKind.INCIDENT.value,)
    return daily_counters(f.start, f.end, kinds=kinds, groups=groups, priorities=priorities)


def count(name: str, ctx: Context) -> int:
    """How many tickets figure ``name`` counts."""
    days = _shared_days(name, ctx)
    if days is not None:
        return summed(days, name)[0]
    rolled = _rollup_where(name, ctx, DailyRollup)
    if rolled is not None:
        total = func.coalesce(func.sum(getattr(DailyRollup, name)), 0)
        return int(db.session.scalar(select(total).where(*rolled)) or 0)
    query = select(func.count()).select_from(F).where(*base(ctx), *SETS[name][1](ctx))
    return int(db.session.scalar(query) or 0)


def count_by(name: str, ctx: Context, column: Any) -> dict[Any, int]:
    """Figure ``name`` per value of ``column`` (a fact column or expression): one query."""
    key = _rolled_column(name, column)
    days = _shared_days(name, ctx) if key is DailyRollup.day else None
    if days is not None:
        return {day: row[name] for day, row in days.items() if row[name]}
    rolled = None if key is None else _rollup_where(name, ctx, key.class_)
    if key is not None and rolled is not None:
        total = func.sum(getattr(key.class_, name))
        query = select(key, total).where(*rolled).group_by(key)
        return {k: int(n) for k, n in db.session.execute(query) if n}
    query = select(column, func.count()).where(*base(ctx), *SETS[name][1](ctx)).group_by(column)
    return {k: int(n) for k, n in db.session.execute(query)}


def counts_by(names: list[str], ctx: Context, column: Any) -> dict[str, dict[Any, int]]:
    """Figures ``names`` per value of ``column``, as :func:`count_by` gives each, in fewer
    statements: the live sets (``OPEN``) with one counting each set's condition over the open
    facts, the rollup counters (opened, resolved) with one summing each on the rollup."""
    live = [name for name in names if name in OPEN]
    rolled = [name for name in names if name in ROLLED]
    out = _live_by(live, ctx, column) if len(live) > 1 else {}
    if len(rolled) > 1:
        out.update(_rolled_by(rolled, ctx, column) or {})
    for name in names:
        if name not in out:
            out[name] = count_by(name, ctx, column)
    return {name: out[name] for name in names}


def _rolled_by(names: list[str], ctx: Context, column: Any) -> dict[str, dict[Any, int]] | None:
    """Rollup counters ``names`` per value of fact ``column`` with one statement on the
    rollup that holds it (None: none does, or the reach or a filter is not in its key)."""
    keys = {_rolled_column(name, column) for name in names}
    key = keys.pop() if len(keys) == 1 else None
    where = None if key is None else _rollup_where(names[0], ctx, key.class_)
    if key is None or where is None:
        return None
    sums = (func.sum(getattr(key.class_, name)) for name in names)
    query = select(key, *sums).where(*where).group_by(key)
    return _split(names, db.session.execute(query))


def _split(names: list[str], rows: Any) -> dict[str, dict[Any, int]]:
    """``(key, n per name ...)`` rows as ``name -> key -> n``, zeros left out."""
    out: dict[str, dict[Any, int]] = {name: {} for name in names}
    for key, *values in rows:
        for name, n in zip(names, values, strict=True):
            if n:
                out[name][key] = int(n)
    return out


def _live_by(names: list[str], ctx: Context, column: Any) -> dict[str, dict[Any, int]]:
    flags = [OPEN[name][1](ctx) for name in names]
    counted = [
        func.sum(case((and_(*flag), 1), else_=0)) if flag else func.count() for flag in flags
    ]
    query = select(column, *counted).where(*base(ctx), *_open(ctx)).group_by(column)
    return _split(names, db.session.execute(query))


def resolved_by_agent(ctx: Context) -> dict[int, int]:
    """Figure ``resolved`` per assignee (0: nobody): the monthly per-agent rollup's whole
    months and the partial months' facts when the reach and filters are in its key (queue
    and kind), else one query on the facts."""
    f, reach = ctx.filters, ctx.reach
    if _rollup_where("resolved", ctx, DailyRollup) is None or f.priority is not None:
        return count_by("resolved", ctx, F.assignee_id)
    groups = None if reach.groups is None else reach.group_ids
    if f.group is not None:
        groups = [f.group] if groups is None or f.group in groups else []
    if groups == []:
        return {}
    kinds = (TicketKind.INCIDENT.value,)
    return resolved_per_agent(f.start, f.end, kinds=kinds, groups=groups)


def per_day(name: str, ctx: Context) -> dict[date, int]:
    """Figure ``name`` (``opened`` or ``resolved``) per day of the range: one query."""
    found = {as_date(k): n for k, n in count_by(name, ctx, day_column(name)).items()}
    return {
        ctx.filters.start + timedelta(days=d): found.get(ctx.filters.start + timedelta(days=d), 0)
        for d in range(ctx.filters.days)
    }


def per_service(name: str, ctx: Context, service_ids: list[int]) -> dict[int, int]:
    """Figure ``name`` per business service, a ticket counted on its affected service (as the
    measures count it): one query for any number of services."""
    if not service_ids:
        return {}
    query = (
        select(ConfigurationItem.id, func.count())
        .join(F, F.service == ConfigurationItem.name)
        .where(ConfigurationItem.id.in_(service_ids), *base(ctx), *SETS[name][1](ctx))
        .group_by(ConfigurationItem.id)
    )
    return {ci: int(n) for ci, n in db.session.execute(query)}


def top_cis(ctx: Context, limit: int = 10) -> list[tuple[int, str, int]]:
    """The CIs linked to the most incidents opened in the range: ``(id, name, count)``."""
    query = (
        select(ConfigurationItem.id, ConfigurationItem.name, func.count())
        .join(incident_cis, incident_cis.c.ci_id == ConfigurationItem.id)
        .join(F, F.ticket_id == incident_cis.c.incident_id)
        .where(*base(ctx), *SETS["opened"][1](ctx))
        .group_by(ConfigurationItem.id, ConfigurationItem.name)
        .order_by(func.count().desc(), ConfigurationItem.name)
        .limit(limit)
    )
    return [(i, n, int(c)) for i, n, c in db.session.execute(query)]
