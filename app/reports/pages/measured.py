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

from flask_babel import gettext as _
from sqlalchemy import Select

from app.i18n import N_
from app.i18n.formats import duration, number, percent
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
    "response_time": N_("tickets answered"),
    "resolution_time": N_("tickets resolved"),
    "sla_compliance": N_("resolution SLAs decided"),
    "reopen_rate": N_("tickets resolved"),
    "first_contact_rate": N_("tickets resolved"),
    "csat": N_("surveys answered"),
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


def text_of(figure: Figure) -> tuple[str, str]:
    """The headline and a line of detail of a figure, by its unit."""
    value = figure.value
    if figure.unit == "seconds":
        stats = figure.stats
        detail = _(
            "median; p90 %(p90)s, mean %(mean)s",
            p90=duration(stats.get("p90")),
            mean=duration(stats.get("mean")),
        )
        return duration(value), detail
    if value is None:
        return "—", ""
    if figure.unit == "percent":
        return percent(value / 100, 1), ""
    if figure.unit == "score":
        return _("%(score)s / 5", score=number(value, 2)), ""
    return number(value), ""


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
                _(MEASURES[name].label),
                text,
                detail,
                figure.count,
                _(COUNTED.get(name, N_("counted"))),
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
