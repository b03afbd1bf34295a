"""What each dashboard shows: its figures and tables, each cell with the drill-down to the
tickets it counts (see ``sets``), in a bounded number of queries whatever the number of
tickets."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from app.auth.models import User
from app.extensions import db
from app.reports.pages import sets
from app.reports.pages.sets import AGES, Context
from app.reports.rollups.models import TicketFact
from app.reports.scope import report_zone

LIVE = frozenset({"backlog", "unassigned", "due_soon", "breaching", "at_risk", "waiting"})
QUEUE_HEALTH_SETS = ["backlog", "unassigned", "at_risk", "breaching"]
# The console's own filters for a set, besides the dashboard's filters.
CONSOLE_SETS = {
    "opened": ("all", "opened"),
    "resolved": ("all", "resolved"),
    "resolved_today": ("all", "resolved"),
    "backlog": ("open", None),
}


@dataclass(frozen=True)
class Cell:
    """A count and where its tickets are listed: the query arguments of the reports' list
    (the filters, the set, a row's narrowing) and of the console when it can say the set."""

    value: int
    listing: dict[str, str]
    console: dict[str, str] | None = None


@dataclass(frozen=True)
class Figure:
    label: str
    cell: Cell
    live: bool = False


@dataclass
class Table:
    """A table of counts: a row label, then one cell per column (a chart's data too)."""

    key: str
    title: str
    columns: list[str]
    rows: list[tuple[str, list[Cell]]] = field(default_factory=list)
    kind: str = "bar"  # how the charts macro draws it


@dataclass
class Dashboard:
    figures: list[Figure]
    tables: list[Table]


def console_args(name: str, ctx: Context, **dims: Any) -> dict[str, str] | None:
    """The console's query arguments listing exactly the tickets of set ``name`` (None when
    the console cannot say it: then the reports' own list does)."""
    if not ctx.reach.console or name not in CONSOLE_SETS or dims.get("age") is not None:
        return None
    view, dated = CONSOLE_SETS[name]
    if dated and report_zone() != "UTC":
        return None  # the console's days are UTC days: the reports' list says the zone's
    args = {"view": view, "kind": "incident", **ctx.filters.console_args()}
    reach = ctx.reach
    if reach.assignee is not None:
        args["assignee"] = str(reach.assignee)
    if reach.services is not None or "service" in args:
        return None  # the console's service also counts linked CIs: the reports' list
    if reach.groups is not None and "group" not in args:
        if len(reach.groups) != 1:
            return None
        args["group"] = str(reach.groups[0][0])
    if dims.get("assignee") is not None:
        args["assignee"] = str(dims["assignee"])
    if dims.get("ci") is not None:
        return None
    first: date | None = ctx.filters.start
    last: date | None = ctx.filters.end
    if name == "resolved_today":
        first = last = ctx.today
    if dims.get("day") is not None:
        first = last = dims["day"]
    if dated:
        args[f"{dated}_from"] = first.isoformat() if first else ""
        args[f"{dated}_to"] = last.isoformat() if last else ""
    return args


def cell(name: str, ctx: Context, value: int, **dims: Any) -> Cell:
    """A count of set ``name`` in ``ctx`` (narrowed by ``dims``) with its drill-downs."""
    listing = {**ctx.filters.args(), "set": name}
    listing.update({k: str(v) for k, v in dims.items() if v is not None})
    return Cell(value, listing, console_args(name, ctx, **dims))


def figures(ctx: Context, names: list[str], known: dict[str, int] | None = None) -> list[Figure]:
    """The tiles of sets ``names``: their counts, ``known`` ones already counted by a table
    of the page (the sum of its per-queue counts), the others counted here."""
    known = known or {}
    return [
        Figure(_(sets.SETS[n][0]), cell(n, ctx, known[n] if n in known else sets.count(n, ctx)),
               live=n in LIVE)
        for n in names
    ]  # fmt: skip


def per_group(ctx: Context, names: list[str]) -> dict[str, dict[Any, int]]:
    """Sets ``names`` per queue (one statement for the live ones)."""
    return sets.counts_by(names, ctx, TicketFact.group_id)


def totals_of(counts: dict[str, dict[Any, int]]) -> dict[str, int]:
    """Each set's count from its counts per queue (every ticket is in one queue, or 0)."""
    return {name: sum(per.values()) for name, per in counts.items()}


def with_filter(ctx: Context, **values: Any) -> Context:
    """The context narrowed by one more filter (a row's group, service or priority)."""
    return replace(ctx, filters=replace(ctx.filters, **values))


def trend(ctx: Context) -> Table:
    """Opened and resolved per day of the range."""
    opened, resolved = sets.per_day("opened", ctx), sets.per_day("resolved", ctx)
    table = Table(
        "trend", _("Opened and resolved per day"), [_("Opened"), _("Resolved")], kind="line"
    )
    for day in opened:
        table.rows.append(
            (
                day.isoformat(),
                [
                    cell("opened", ctx, opened[day], day=day),
                    cell("resolved", ctx, resolved[day], day=day),
                ],
            )
        )
    return table


def by_group(
    ctx: Context,
    names: list[str],
    groups: list[tuple[int, str]],
    counts: dict[str, dict[Any, int]] | None = None,
) -> Table:
    counts = per_group(ctx, names) if counts is None else counts
    table = Table("groups", _("Queue health per group"), [_(sets.SETS[n][0]) for n in names])
    for group_id, name in groups:
        if ctx.filters.group is not None and ctx.filters.group != group_id:
            continue
        row_ctx = with_filter(ctx, group=group_id)
        table.rows.append((name, [cell(n, row_ctx, counts[n].get(group_id, 0)) for n in names]))
    return table


def by_priority(ctx: Context, names: list[str], levels: dict[int, str]) -> Table:
    counts = sets.counts_by(names, ctx, TicketFact.priority)
    table = Table("priorities", _("Per priority"), [_(sets.SETS[n][0]) for n in names])
    for level, label in levels.items():
        if ctx.filters.priority is not None and ctx.filters.priority != level:
            continue
        row_ctx = with_filter(ctx, priority=level)
        table.rows.append(
            (f"P{level} {label}", [cell(n, row_ctx, counts[n].get(level, 0)) for n in names])
        )
    return table


def by_channel(ctx: Context, names: list[str], channels: list[tuple[str, str]]) -> Table:
    counts = sets.counts_by(names, ctx, TicketFact.channel)
    table = Table("channels", _("Per channel"), [_(sets.SETS[n][0]) for n in names])
    for value, label in channels:
        if ctx.filters.channel is not None and ctx.filters.channel != value:
            continue
        row_ctx = with_filter(ctx, channel=value)
        table.rows.append((label, [cell(n, row_ctx, counts[n].get(value, 0)) for n in names]))
    return table


def backlog_age(ctx: Context) -> Table:
    """The open incidents by how long ago they were opened: one query."""
    age = sets.age_case(ctx.now)
    counts = sets.count_by("backlog", ctx, age)
    table = Table("ages", _("Backlog by age"), [_("Open now")])
    for key, label, _low, _high in AGES:
        table.rows.append((_(label), [cell("backlog", ctx, counts.get(key, 0), age=key)]))
    return table


def workload(ctx: Context) -> Table:
    """Per agent: open incidents assigned now, and resolved in the range (two queries and
    the names)."""
    open_now = sets.count_by("backlog", ctx, TicketFact.assignee_id)
    resolved = sets.resolved_by_agent(ctx)
    people = [p for p in set(open_now) | set(resolved) if p]  # 0: nobody
    found = select(User.id, User.display_name).where(User.id.in_(people))
    names: dict[int, str] = {i: n for i, n in db.session.execute(found)} if people else {}
    table = Table("workload", _("Workload per agent"), [_("Open now"), _("Resolved")], kind="hbar")
    for person in sorted(people, key=lambda p: (-open_now.get(p, 0), names.get(p, ""))):
        table.rows.append(
            (
                str(names.get(person, f"#{person}")),
                [
                    cell("backlog", ctx, open_now.get(person, 0), assignee=person),
                    cell("resolved", ctx, resolved.get(person, 0), assignee=person),
                ],
            )
        )
    return table


def by_service(ctx: Context, names: list[str], services: list[tuple[int, str]]) -> Table:
    ids = [i for i, _ in services if ctx.filters.service in (None, i)]
    counts = {n: sets.per_service(n, ctx, ids) for n in names}
    table = Table("services", _("Per service"), [_(sets.SETS[n][0]) for n in names])
    for service_id, name in services:
        if service_id not in ids:
            continue
        row_ctx = with_filter(ctx, service=service_id)
        table.rows.append((name, [cell(n, row_ctx, counts[n].get(service_id, 0)) for n in names]))
    return table


def top_cis(ctx: Context) -> Table:
    table = Table(
        "cis", _("Top configuration items by incidents opened"), [_("Incidents")], kind="hbar"
    )
    for ci_id, name, n in sets.top_cis(ctx):
        table.rows.append((name, [cell("opened", ctx, n, ci=ci_id)]))
    return table


def agent(ctx: Context, choices: Any) -> Dashboard:
    """My work: open, due soon, breaching, waiting for me, resolved today (live), resolved in
    the range, and my open work per priority."""
    names = ["backlog", "due_soon", "breaching", "waiting", "resolved_today", "resolved"]
    levels = {int(v): label.split(" ", 1)[-1] for v, label in choices.priorities}
    return Dashboard(
        figures(ctx, names),
        [by_priority(ctx, ["backlog", "breaching", "resolved"], levels), trend(ctx)],
    )


def groups(ctx: Context, choices: Any) -> Dashboard:
    """Queue health of the viewer's groups: backlog, age, at risk; workload per agent; trend."""
    names = ["backlog", "unassigned", "at_risk", "breaching", "opened", "resolved"]
    health = per_group(ctx, QUEUE_HEALTH_SETS)
    return Dashboard(
        figures(ctx, names, totals_of(health)),
        [
            by_group(ctx, QUEUE_HEALTH_SETS, list(ctx.reach.groups or ()), health),
            backlog_age(ctx),
            workload(ctx),
            trend(ctx),
        ],
    )


def services(ctx: Context, choices: Any) -> Dashboard:
    """Each of the viewer's services: open, major, breached, opened and resolved; top CIs."""
    names = ["backlog", "major", "breaching", "opened", "resolved"]
    return Dashboard(
        figures(ctx, names),
        [by_service(ctx, names, list(ctx.reach.services or ())), top_cis(ctx), trend(ctx)],
    )


def overview(ctx: Context, choices: Any) -> Dashboard:
    """The desk's figures: volume, backlog, SLA, majors; per channel, priority, group."""
    names = ["opened", "resolved", "backlog", "at_risk", "breaching", "major"]
    levels = {int(v): label.split(" ", 1)[-1] for v, label in choices.priorities}
    groups_ = [(int(v), label) for v, label in choices.groups]
    health = per_group(ctx, ["backlog", "at_risk", "breaching"])
    return Dashboard(
        figures(ctx, names, totals_of(health)),
        [
            trend(ctx),
            by_channel(ctx, ["opened", "resolved"], list(choices.channels)),
            by_priority(ctx, ["opened", "resolved", "backlog"], levels),
            by_group(ctx, list(health), groups_, health),
        ],
    )


BUILDERS = {"agent": agent, "groups": groups, "services": services, "overview": overview}
