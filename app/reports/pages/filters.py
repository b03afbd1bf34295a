"""The dashboards' filters: a time range and group, service, category, priority and channel,
read from a GET form as a browser submits it (every field, empty ones meaning "any").

Bad input is refused whole, with a message per field (``Invalid``, a 422 page): a range that
ends before it starts, ends in the future or spans more than :data:`MAX_DAYS`; a value the
viewer may not choose (a group they do not manage, an unknown category); a filter the pages do
not know.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import ColumnElement, select

from app.cmdb.models import ConfigurationItem
from app.errors import Invalid
from app.extensions import db
from app.incidents.models import Category
from app.reports.pages.reach import Reach, group_choices, service_choices
from app.reports.rollups.models import TicketFact
from app.tickets.matrix import load_matrix
from app.tickets.models import CHANNEL_LABELS, Channel

DEFAULT_DAYS = 30
MAX_DAYS = 3 * 366
FIELDS = ("start", "end", "group", "service", "category", "priority", "channel")
# What else a dashboard's address may carry: a drill-down list's figure and page, a download.
EXTRA = ("set", "measure", "day", "assignee", "age", "ci", "page", "per_page", "export", "format")


@dataclass(frozen=True)
class Choices:
    """What the viewer may pick in each select: ``(value, label)`` pairs."""

    groups: tuple[tuple[str, str], ...]
    services: tuple[tuple[str, str], ...]
    categories: tuple[tuple[str, str], ...]
    priorities: tuple[tuple[str, str], ...]
    channels: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Filters:
    """A valid time range (report days of the organisation's zone, both included) and the
    filters chosen (``None``: any)."""

    start: date
    end: date
    group: int | None = None
    service: int | None = None
    category: str | None = None
    priority: int | None = None
    channel: str | None = None
    errors: dict[str, list[str]] = field(default_factory=dict, compare=False)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def args(self) -> dict[str, str]:
        """The query arguments that give these filters back (every field, empties included)."""
        values = {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "group": self.group,
            "service": self.service,
            "category": self.category,
            "priority": self.priority,
            "channel": self.channel,
        }
        return {k: "" if v is None else str(v) for k, v in values.items()}

    def conditions(self) -> list[ColumnElement[bool]]:
        """The filters other than the range, as conditions on the ticket facts (the service:
        the affected service, by the CI's name, as the measures filter it)."""
        conditions: list[ColumnElement[bool]] = []
        if self.group is not None:
            conditions.append(TicketFact.group_id == self.group)
        if self.service is not None:
            name = select(ConfigurationItem.name).where(ConfigurationItem.id == self.service)
            conditions.append(TicketFact.service.in_(name))
        if self.category is not None:
            conditions.append(TicketFact.category == self.category)
        if self.priority is not None:
            conditions.append(TicketFact.priority == self.priority)
        if self.channel is not None:
            conditions.append(TicketFact.channel == self.channel)
        return conditions

    def console_args(self) -> dict[str, str]:
        """The console's filters for the same set (besides the range and the kind). The
        console's service filter also counts incidents that only link the service's CI, so a
        set narrowed to a service is listed by the reports' own list instead (see
        ``dashboards.console_args``)."""
        values = {
            "group": self.group,
            "service": self.service,
            "category": self.category,
            "priority": self.priority,
            "channel": self.channel,
        }
        return {k: str(v) for k, v in values.items() if v is not None}


def choices_for(reach: Reach) -> Choices:
    """The values the viewer may pick on this dashboard (a bounded number of queries)."""
    groups = reach.groups if reach.groups is not None else group_choices(None)
    services = reach.services if reach.services is not None else service_choices(None)
    names = db.session.scalars(select(Category.name).where(Category.parent_id.is_(None)))
    matrix = load_matrix()
    return Choices(
        groups=tuple((str(i), n) for i, n in groups),
        services=tuple((str(i), n) for i, n in services),
        categories=tuple((n, n) for n in sorted(set(names))),
        priorities=tuple(
            (str(level), f"P{level} {_(label)}") for level, label in matrix.levels.items()
        ),
        channels=tuple((c.value, _(CHANNEL_LABELS[c])) for c in Channel),
    )


def _date(raw: str, name: str, errors: dict[str, list[str]]) -> date | None:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors.setdefault(name, []).append(
            _("“%(value)s” is not a date (YYYY-MM-DD).", value=raw[:20])
        )
        return None


def _pick(
    raw: str, name: str, label: str, allowed: tuple[tuple[str, str], ...], errors: Any
) -> str | None:
    if not raw:
        return None
    if raw not in {value for value, _ in allowed}:
        errors.setdefault(name, []).append(
            _("%(field)s “%(value)s” is unknown or not yours to see.", field=label, value=raw[:40])
        )
        return None
    return raw


def parse_filters(args: Mapping[str, str], choices: Choices, *, today: date) -> Filters:
    """The filters of a dashboard's query string (missing or empty: the last 30 days, any).

    :raise Invalid: per field: a bad or reversed range, one ending after ``today`` or longer
        than :data:`MAX_DAYS` days, a value not among ``choices``, an unknown filter.
    """
    errors: dict[str, list[str]] = {}
    unknown = sorted(k for k in args if k not in FIELDS and k not in EXTRA and k != "csrf_token")
    if unknown:
        errors["filters"] = [
            ngettext(
                "Unknown filter: %(names)s.",
                "Unknown filters: %(names)s.",
                len(unknown),
                names=", ".join(unknown),
            )
        ]
    raw = {name: (args.get(name) or "").strip() for name in FIELDS}
    end = _date(raw["end"], "end", errors) if raw["end"] else today
    start = (
        _date(raw["start"], "start", errors)
        if raw["start"]
        else (end or today) - timedelta(days=DEFAULT_DAYS - 1)
    )
    if start and end:
        if end < start:
            errors.setdefault("end", []).append(_("The range ends before it starts."))
        if end > today:
            errors.setdefault("end", []).append(
                _("The range ends in the future: choose %(day)s or earlier.", day=today.isoformat())
            )
        if (end - start).days + 1 > MAX_DAYS:
            errors.setdefault("start", []).append(
                _(
                    "The range spans more than 3 years (%(days)s days): choose a shorter one.",
                    days=MAX_DAYS,
                )
            )
    group = _pick(raw["group"], "group", _("Group"), choices.groups, errors)
    service = _pick(raw["service"], "service", _("Service"), choices.services, errors)
    category = _pick(raw["category"], "category", _("Category"), choices.categories, errors)
    priority = _pick(raw["priority"], "priority", _("Priority"), choices.priorities, errors)
    channel = _pick(raw["channel"], "channel", _("Channel"), choices.channels, errors)
    if errors:
        raise Invalid(errors, _("Some filters are not valid: nothing was counted."))
    assert start is not None
    assert end is not None
    return Filters(
        start=start,
        end=end,
        group=int(group) if group else None,
        service=int(service) if service else None,
        category=category,
        priority=int(priority) if priority else None,
        channel=channel,
    )
