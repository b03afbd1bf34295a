"""What a report looks at: a date range and filters, read from a query string and checked.

A :class:`Scope` is a frozen value: the inclusive range of report days ``start``..``end`` (days
of the organisation's zone, :func:`report_zone`) and, per
dimension, the values kept (an empty tuple keeps everything). :func:`parse_scope` reads it from
request arguments and refuses bad input with :class:`app.errors.Invalid` (one message per
field); :func:`visible_scope` narrows it to the queues the viewer may report on;
:meth:`Scope.query_args` gives the arguments back, so a drill-down link or an export repeats
exactly the same scope.

Query-string names: ``start``, ``end`` (``YYYY-MM-DD``), and repeated ``group`` (queue ids),
``service`` (CMDB service CI ids), ``category`` (incident category names), ``priority``
(1..5), ``channel`` and ``kind`` (ticket kinds).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context
from flask_babel import gettext as _
from sqlalchemy import select

from app.auth.models import Group, Role
from app.cmdb.models import ConfigurationItem
from app.errors import Forbidden, Invalid
from app.extensions import db
from app.incidents.models import Category
from app.tickets.models import Channel, PriorityLevel, TicketKind

MAX_DAYS = 3 * 366  # three years: longer ranges are refused (say so in the message)
DEFAULT_DAYS = 30
FILTERS = ("group", "service", "category", "priority", "channel", "kind")


def report_zone() -> str:
    """The zone report days are cut in: the organisation's (``DESKGRAPH_TIMEZONE``, the zone
    the pages show times in for readers without one of their own); UTC outside an app."""
    return str(current_app.config["DESKGRAPH_TIMEZONE"]) if has_app_context() else "UTC"


def day_start(day: date, zone: str | None = None) -> datetime:
    """The first instant of report day ``day`` (midnight in the report zone), aware."""
    return datetime.combine(day, time(), tzinfo=ZoneInfo(zone or report_zone()))


def report_day(at: datetime, zone: str | None = None) -> date:
    """The report day an instant falls on (its date in the report zone)."""
    return at.astimezone(ZoneInfo(zone or report_zone())).date()


@dataclass(frozen=True)
class Scope:
    """An inclusive range of report days (:func:`report_zone`) and the filter values kept
    (empty: all)."""

    start: date
    end: date
    groups: tuple[int, ...] = ()
    services: tuple[int, ...] = ()
    categories: tuple[str, ...] = ()
    priorities: tuple[int, ...] = ()
    channels: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()

    @property
    def since(self) -> datetime:
        """The first instant of the range (midnight of ``start`` in the report zone)."""
        return day_start(self.start)

    @property
    def until(self) -> datetime:
        """The first instant after the range (midnight after ``end`` in the report zone)."""
        return day_start(self.end + timedelta(days=1))

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def query_args(self) -> list[tuple[str, str]]:
        """The query-string pairs that :func:`parse_scope` reads back into this scope."""
        pairs = [("start", self.start.isoformat()), ("end", self.end.isoformat())]
        for name, values in self.filters().items():
            pairs.extend((name, str(v)) for v in values)
        return pairs

    def filters(self) -> dict[str, tuple[Any, ...]]:
        """The set filters by query-string name."""
        values = {
            "group": self.groups,
            "service": self.services,
            "category": self.categories,
            "priority": self.priorities,
            "channel": self.channels,
            "kind": self.kinds,
        }
        return {name: v for name, v in values.items() if v}


def _values(args: Any, name: str) -> list[str]:
    if hasattr(args, "getlist"):
        raw = args.getlist(name)
    else:
        value = args.get(name) if isinstance(args, Mapping) else None
        raw = value if isinstance(value, list | tuple) else ([] if value is None else [value])
    out: list[str] = []
    for item in raw:
        out.extend(part.strip() for part in str(item).split(",") if part.strip())
    return list(dict.fromkeys(out))


def _day(args: Any, name: str, errors: dict[str, str]) -> date | None:
    text = (_values(args, name) or [""])[0]
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors[name] = f"Give the {name} date as YYYY-MM-DD (not {text[:20]!r})."
        return None


def _ints(texts: list[str], name: str, errors: dict[str, str]) -> tuple[int, ...]:
    try:
        return tuple(int(t) for t in texts)
    except ValueError:
        errors[name] = f"Unknown {name}: give ids as whole numbers."
        return ()


def _unknown(name: str, missing: Iterable[Any], errors: dict[str, str]) -> None:
    missing = sorted(str(m) for m in missing)
    if missing:
        errors[name] = f"Unknown {name}: {', '.join(missing[:5])}."


def parse_scope(args: Any, *, today: date) -> Scope:
    """Read a scope from request arguments (a ``MultiDict`` or a plain mapping).

    Without dates: the last 30 days up to ``today``; with only one, a 30-day window around it.

    :raise Invalid: a malformed date, an end before the start, an end after ``today``, a range
        longer than three years, or a filter value that does not exist (unknown queue,
        service, category, priority, channel or ticket kind).
    """
    errors: dict[str, str] = {}
    unknown = sorted(set(_keys(args)) - {"start", "end", *FILTERS, "page", "view", "format"})
    start, end = _day(args, "start", errors), _day(args, "end", errors)
    if end is None and "end" not in errors:
        end = min(today, start + timedelta(days=DEFAULT_DAYS - 1)) if start else today
    if start is None and "start" not in errors and end is not None:
        start = end - timedelta(days=DEFAULT_DAYS - 1)
    if start and end:
        if end < start:
            errors["end"] = "The end of the range is before its start: swap the dates."
        elif end > today:
            errors["end"] = (
                f"The range ends in the future: end it on {today.isoformat()} or before."
            )
        elif (end - start).days + 1 > MAX_DAYS:
            errors["start"] = (
                f"The range spans {(end - start).days + 1} days: reports cover at most three "
                f"years ({MAX_DAYS} days); narrow it."
            )
    groups = _ints(_values(args, "group"), "group", errors)
    services = _ints(_values(args, "service"), "service", errors)
    priorities = _ints(_values(args, "priority"), "priority", errors)
    categories = tuple(_values(args, "category"))
    channels = tuple(_values(args, "channel"))
    kinds = tuple(_values(args, "kind"))
    _check_known(groups, services, categories, priorities, errors)
    _unknown("channel", set(channels) - {c.value for c in Channel}, errors)
    _unknown("kind", set(kinds) - {k.value for k in TicketKind}, errors)
    for name in unknown:
        errors.setdefault(name, f"Unknown filter {name!r}: use {', '.join(FILTERS)}.")
    if errors or start is None or end is None:
        raise Invalid(errors or {"start": "Give a date range."})
    return Scope(start, end, groups, services, categories, priorities, channels, kinds)


def _keys(args: Any) -> list[str]:
    return list(args.keys()) if hasattr(args, "keys") else []


def _check_known(
    groups: tuple[int, ...],
    services: tuple[int, ...],
    categories: tuple[str, ...],
    priorities: tuple[int, ...],
    errors: dict[str, str],
) -> None:
    if groups and "group" not in errors:
        found = db.session.scalars(
            select(Group.id).where(Group.id.in_(groups), Group.is_assignment_group)
        )
        _unknown("group", set(groups) - set(found), errors)
    if services and "service" not in errors:
        found = db.session.scalars(
            select(ConfigurationItem.id).where(ConfigurationItem.id.in_(services))
        )
        _unknown("service", set(services) - set(found), errors)
    if categories:
        found = db.session.scalars(select(Category.name).where(Category.name.in_(categories)))
        _unknown("category", set(categories) - set(found), errors)
    if priorities and "priority" not in errors:
        levels = set(db.session.scalars(select(PriorityLevel.level))) or set(range(1, 6))
        _unknown("priority", set(priorities) - levels, errors)


def managed_group_ids(viewer: Any) -> tuple[int, ...]:
    """The queues a person manages (``groups.manager_id``): what a group manager reports on."""
    return tuple(
        db.session.scalars(select(Group.id).where(Group.manager_id == viewer.id).order_by(Group.id))
    )


def visible_scope(scope: Scope, viewer: Any) -> Scope:
    """Narrow ``scope`` to what ``viewer`` may report on.

    Administrators see every queue. Anyone else sees the queues they manage (a *group
    manager* is the person named as a group's manager, ``groups.manager_id``): an empty group
    filter becomes their queues, a filter naming other queues keeps only theirs.

    :raise Forbidden: the viewer manages no queue, or asked only for queues they do not manage.
    """
    if viewer.has_role(Role.ADMIN):
        return scope
    mine = managed_group_ids(viewer)
    if not mine:
        raise Forbidden(_("Reports cover the queues you manage, and you manage none."))
    kept = tuple(g for g in scope.groups if g in mine) if scope.groups else mine
    if not kept:
        raise Forbidden(_("You may report only on the queues you manage."))
    return replace(scope, groups=kept)


def service_names(scope: Scope) -> tuple[str, ...]:
    """The names of the scope's service CIs: incidents name their service by its name."""
    if not scope.services:
        return ()
    rows = db.session.scalars(
        select(ConfigurationItem.name).where(ConfigurationItem.id.in_(scope.services))
    )
    return tuple(sorted(set(rows)))
