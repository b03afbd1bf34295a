"""The dashboards' measures (times, rates, satisfaction, compliance) from
``app.reports.measures``, over the dashboard's reach and filters, each with its drill-down.

The measures take a scope already narrowed to what the reader may see: this module narrows it
to the dashboard's reach (a manager's groups, an owner's services, the whole desk), as every
other figure of the page is narrowed. A reach that covers nothing (an owner of no service)
shows no measure rather than the whole desk.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select

from app.reports.measures import MEASURES, Figure, measure, tickets_in
from app.reports.pages.sets import Context
from app.reports.scope import Scope

# Per dashboard: (measure, options of the figure and of its drill-down).
SHOWN: dict[str, tuple[tuple[str, dict[str, Any]], ...]] = {
    "agent": (),
    "groups": (
        ("response_time", {}),
        ("resolution_time", {}),
        ("sla_compliance", {"kind": "resolution"}),
        ("reopen_rate", {}),
        ("csat", {}),
    ),
    "services": (
        ("resolution_time", {}),
        ("sla_compliance", {"kind": "resolution"}),
        ("csat", {}),
        ("reopen_rate", {}),
    ),
    "overview": (
        ("response_time", {}),
        ("resolution_time", {}),
        ("sla_compliance", {"kind": "resolution"}),
        ("csat", {}),
        ("reopen_rate", {}),
        ("first_contact_rate", {}),
    ),
}
COUNTED = {
    "response_time": "tickets answered",
    "resolution_time": "tickets resolved",
    "sla_compliance": "resolution SLAs decided",
    "reopen_rate": "tickets resolved",
    "first_contact_rate": "tickets resolved",
    "csat": "surveys answered",
}


@dataclass(frozen=True)
class Measured:
    """A measure as a dashboard tile: its text, what it counts, its drill-down arguments."""

    name: str
    label: str
    text: str
    detail: str
    count: int
    counted: str
    listing: dict[str, str]


def scope_of(ctx: Context) -> Scope | None:
    """The measures' scope for a dashboard's reach and filters (None: the reach is empty)."""
    f, reach = ctx.filters, ctx.reach
    if reach.assignee is not None:
        return None  # the measures do not count one person's work
    groups: tuple[int, ...] = (f.group,) if f.group else tuple(reach.group_ids)
    services: tuple[int, ...] = (f.service,) if f.service else tuple(reach.service_ids)
    if (reach.groups is not None and not groups) or (reach.services is not None and not services):
        return None
    return Scope(
        f.start,
        f.end,
        groups=groups,
        services=services,
        categories=(f.category,) if f.category else (),
        priorities=(f.priority,) if f.priority else (),
        channels=(f.channel,) if f.channel else (),
        kinds=("incident",),
    )


def duration(seconds: float | None) -> str:
    """``2 h 10 min``, ``3 d 4 h``, ``45 min`` (``—`` for none)."""
    if seconds is None:
        return "—"
    minutes = round(seconds / 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    return f"{hours} h {mins:02d} min" if hours else f"{mins} min"


def text_of(figure: Figure) -> tuple[str, str]:
    """The headline and a line of detail of a figure, by its unit."""
    value = figure.value
    if figure.unit == "seconds":
        stats = figure.stats
        detail = f"median; p90 {duration(stats.get('p90'))}, mean {duration(stats.get('mean'))}"
        return duration(value), detail
    if value is None:
        return "—", ""
    if figure.unit == "percent":
        return f"{value:.1f} %", ""
    if figure.unit == "score":
        return f"{value:.2f} / 5", ""
    return f"{value:g}", ""


def measures(ctx: Context) -> list[Measured]:
    """The dashboard's measures (one or a few queries each, on the rollups)."""
    scope = scope_of(ctx)
    if scope is None:
        return []
    shown = []
    for name, options in SHOWN[ctx.reach.dashboard]:
        figure = measure(name).compute(scope, **options)
        text, detail = text_of(figure)
        listing = {**ctx.filters.args(), "measure": name}
        shown.append(
            Measured(
                name,
                MEASURES[name].label,
                text,
                detail,
                figure.count,
                COUNTED.get(name, "counted"),
                listing,
            )
        )
    return shown


def measure_ids(name: str, ctx: Context) -> Select | None:
    """The ids of the tickets behind the dashboard's measure ``name`` (None: not one of its
    measures, or its reach is empty)."""
    options = dict(SHOWN[ctx.reach.dashboard]).get(name)
    scope = scope_of(ctx)
    if options is None or scope is None:
        return None
    return tickets_in(name, scope, **options)
