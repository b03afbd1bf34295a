"""The service desk's measures, each defined once (``docs/metrics.md``), and their drill-down.

Two entry points, both narrowing the scope to what the viewer may see
(:func:`app.reports.scope.visible_scope`, which raises ``Forbidden``):

* :func:`figure` ``(name, scope, viewer, **options) -> Figure`` computes a measure;
* :func:`tickets_behind` ``(name, scope, viewer, **dimension) -> Select`` is a ``SELECT`` of
  the ids of exactly the tickets that figure counts, narrowed to one of its points by a
  keyword: ``day=date``, ``week=monday``, ``channel=``, ``category=``, ``service=`` (a name),
  ``group=id``, ``priority=``, ``kind=``, ``hour=``, ``agent=user id``, ``ci=CI id``,
  ``catalog_item=id``, ``score=`` (CSAT); ``part=True`` keeps a rate's numerator
  (reopened, first contact, reassigned, breached).

The measure functions themselves live in the submodules and take an already narrowed scope.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, false, select

from app.i18n import N_
from app.reports.measures import catalog, cmdb, satisfaction, sla, tickets
from app.reports.measures.base import Figure, Point, day_range, dimension_column, filters
from app.reports.rollups.models import TicketFact
from app.reports.scope import Scope, visible_scope
from app.timeutils import utc_now

__all__ = ["MEASURES", "Figure", "Measure", "Point", "figure", "tickets_behind"]


@dataclass(frozen=True)
class Measure:
    """A registered measure: what it computes, its label and unit, and (for measures over
    ticket facts) the day column and conditions that select the tickets it counts."""

    name: str
    label: str
    compute: Callable[..., Figure]
    day_column: Any = None
    where: Callable[[Scope], list[ColumnElement[bool]]] | None = None
    part: Callable[[], ColumnElement[bool]] | None = None


def _facts(day_column: Any, *extra: Callable[[], ColumnElement[bool]]) -> Any:
    def where(scope: Scope) -> list[ColumnElement[bool]]:
        return [*day_range(day_column, scope), *filters(TicketFact, scope), *(e() for e in extra)]

    return where


def _responded() -> ColumnElement[bool]:
    return TicketFact.response_wall.is_not(None)


def _incident() -> ColumnElement[bool]:
    return TicketFact.kind == cmdb.INCIDENT


def _has_service() -> ColumnElement[bool]:
    return TicketFact.service != ""


_OPENED, _RESOLVED = TicketFact.opened_day, TicketFact.resolved_day

MEASURES: dict[str, Measure] = {
    m.name: m
    for m in (
        Measure("response_time", N_("First response time"), tickets.response_time, _OPENED,
                _facts(_OPENED, _responded)),
        Measure("resolution_time", N_("Resolution time"), tickets.resolution_time, _RESOLVED,
                _facts(_RESOLVED)),
        Measure("opened", N_("Tickets opened"), tickets.opened, _OPENED, _facts(_OPENED)),
        Measure("resolved", N_("Tickets resolved"), tickets.resolved, _RESOLVED, _facts(_RESOLVED)),
        Measure("backlog", N_("Backlog"), tickets.backlog, None, tickets.open_at_end),
        Measure("reopen_rate", N_("Reopen rate"), tickets.reopen_rate, _RESOLVED, _facts(_RESOLVED),
                lambda: TicketFact.reopen_count > 0),
        Measure("first_contact_rate", N_("First-contact resolution"), tickets.first_contact_rate,
                _RESOLVED, _facts(_RESOLVED), lambda: TicketFact.first_contact.is_(True)),
        Measure("reassignment", N_("Reassignments"), tickets.reassignment, _RESOLVED,
                _facts(_RESOLVED), lambda: TicketFact.reassignment_count > 0),
        Measure("workload", N_("Agent workload"), tickets.workload),
        Measure("csat", N_("Customer satisfaction"), satisfaction.csat),
        Measure("kb_deflection", N_("Knowledge deflection"), satisfaction.kb_deflection),
        Measure("sla_compliance", N_("SLA compliance"), sla.sla_compliance),
        Measure("incidents_per_ci", N_("Incidents per CI"), cmdb.incidents_per_ci),
        Measure("incidents_per_service", N_("Incidents per service"), cmdb.incidents_per_service,
                _OPENED, _facts(_OPENED, _incident, _has_service)),
        Measure("mttr", N_("MTTR per service"), cmdb.mttr, _RESOLVED, _facts(_RESOLVED, _incident)),
        Measure("fulfilment_time", N_("Request fulfilment time"), catalog.fulfilment_time,
                _RESOLVED, catalog.item_where),
        Measure("approval_wait", N_("Approval wait time"), catalog.approval_wait),
    )
}  # fmt: skip

NEEDS_NOW = frozenset({"backlog", "workload"})


def measure(name: str) -> Measure:
    """The registered measure ``name``.

    :raise KeyError: no such measure.
    """
    return MEASURES[name]


def figure(name: str, scope: Scope, viewer: Any, **options: Any) -> Figure:
    """Compute measure ``name`` over ``scope`` as ``viewer`` may see it. ``options`` go to the
    measure (``by=``, ``basis=``, ``kind=``, ``limit=``; ``now=`` for backlog and workload,
    default the current time).

    :raise Forbidden: the viewer may not report on the scope (see ``visible_scope``).
    """
    scope = visible_scope(scope, viewer)
    if name in NEEDS_NOW:
        options.setdefault("now", utc_now())
    return measure(name).compute(scope, **options)


def tickets_behind(name: str, scope: Scope, viewer: Any, **dimension: Any) -> Select:
    """A ``SELECT`` of the ids of the tickets counted by ``figure(name, scope, viewer)``,
    or by one point of its series (see the module docstring for the keywords).

    :raise Forbidden: as :func:`figure`.
    :raise ValueError: a keyword the measure cannot narrow by.
    """
    return tickets_in(name, visible_scope(scope, viewer), **dimension)


def tickets_in(name: str, scope: Scope, **dimension: Any) -> Select:
    """:func:`tickets_behind` over a scope the caller has already narrowed to what its reader
    may see (a service owner's dashboard narrows to their services, not to managed queues).

    :raise ValueError: a keyword the measure cannot narrow by.
    """
    spec = measure(name)
    part = bool(dimension.pop("part", False))
    special = _special(name, scope, part, dimension)
    if special is not None:
        return special
    if spec.where is None:
        raise ValueError(f"{name} has no drill-down by {sorted(dimension)}")
    where = list(spec.where(scope))
    if part and spec.part is not None:
        where.append(spec.part())
    where.extend(_narrowed(spec, dimension))
    return select(TicketFact.ticket_id).where(*where)


def _narrowed(spec: Measure, dimension: dict[str, Any]) -> list[ColumnElement[bool]]:
    out: list[ColumnElement[bool]] = []
    for key, value in dimension.items():
        if key in ("day", "week"):
            if spec.day_column is None:
                raise ValueError(f"{spec.name} is not counted by day")
            first = value if isinstance(value, date) else date.fromisoformat(str(value))
            last = first + timedelta(days=6 if key == "week" else 0)
            out += [spec.day_column >= first, spec.day_column <= last]
        elif key == "agent":
            out.append(TicketFact.assignee_id == int(value))
        elif key == "catalog_item":
            out.append(TicketFact.catalog_item_id == int(value))
        else:
            column = dimension_column(TicketFact, key)
            out.append(column == _typed(key, value))
    return out


def _typed(key: str, value: Any) -> Any:
    return int(value) if key in ("group", "priority", "hour") else str(value)


def _special(name: str, scope: Scope, part: bool, dimension: dict[str, Any]) -> Select | None:
    """Drill-downs of the measures that do not count ticket facts by day."""
    if name == "csat":
        score = dimension.pop("score", None)
        answered = dimension.pop("answered", True)
        _no_more(name, dimension)
        return satisfaction.csat_tickets(
            scope, score=None if score is None else int(score), answered=bool(answered)
        )
    if name == "sla_compliance":
        kind = dimension.pop("kind", None)
        _no_more(name, dimension)
        return sla.sla_tickets(scope, kind=kind, breached=True if part else None)
    if name == "kb_deflection":
        _no_more(name, dimension)
        return select(TicketFact.ticket_id).where(false())  # attempts, not tickets
    if name == "approval_wait":
        _no_more(name, dimension)
        return catalog.approval_item_ids(scope)
    if name == "incidents_per_ci":
        ci = dimension.pop("ci", None)
        _no_more(name, dimension)
        if ci is None:
            return cmdb.ci_incident_ids(scope, None).distinct()
        return cmdb.ci_incident_ids(scope, int(ci))
    if name == "workload":
        agent = dimension.pop("agent", None)
        _no_more(name, dimension)
        return _workload_ids(scope, agent, resolved=part)
    return None


def _no_more(name: str, dimension: dict[str, Any]) -> None:
    if dimension:
        raise ValueError(f"{name} has no drill-down by {sorted(dimension)}")


def _workload_ids(scope: Scope, agent: Any, *, resolved: bool) -> Select:
    """Open tickets assigned to agents (or to ``agent``), or with ``part=True`` those they
    resolved in the range."""
    where: list[ColumnElement[bool]] = [TicketFact.assignee_id != 0, *filters(TicketFact, scope)]
    if resolved:
        where += day_range(TicketFact.resolved_day, scope)
    else:
        where.append(TicketFact.ended_at.is_(None))
    if agent is not None:
        where.append(TicketFact.assignee_id == int(agent))
    return select(TicketFact.ticket_id).where(*where)
