"""The rows of the ticket lists (the agent console, an employee's own tickets): read as the
columns a row shows and worded once in Python.

A queue page shows 25 to 100 rows of nine cells. Loading each row as ORM objects (the ticket,
its incident or task part, the caller, the assignee, the group and its manager) and wording it
in the template (a macro call per badge, a gettext per cell, the viewer's time zone looked up
per date, ``url_for`` per number) cost more than the page's queries. Here one statement reads
the columns the rows show, and each label (a state, a hold reason, a priority) is translated
once per page however many rows carry it; dates are written with the viewer's zone and the
month names of their language looked up once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from babel import Locale
from babel import dates as babel_dates
from flask import url_for
from flask_babel import gettext
from markupsafe import Markup, escape
from sqlalchemy import select
from wtforms import SelectChoice

from app.auth.models import Group, User
from app.extensions import db
from app.i18n import formats
from app.incidents.models import Incident, MajorState
from app.incidents.workflow import State, plain_words
from app.requests.models import CatalogItem, CatalogTask, RequestItem
from app.tickets.holds import HoldReason
from app.tickets.models import Ticket, TicketKind
from app.tickets.priority import PriorityMatrix
from app.ui import viewer_timezone

# Built once: an alias made per request re-creates the proxies of all its columns.
CALLERS, ASSIGNEES = User.__table__.alias("callers"), User.__table__.alias("assignees")
INCIDENTS, TASKS = Incident.__table__, CatalogTask.__table__


@dataclass(frozen=True, slots=True)
class QueueRow:
    """One row of the console, every cell's text ready (``Markup`` where it holds a
    translation, plain text the template escapes otherwise)."""

    id: int
    number: str
    href: str
    task: bool
    select_label: Markup
    priority: int
    priority_tone: int  # the badge's colour: 1 to 5
    priority_label: Markup
    short_description: str
    about: str  # a task's item and catalog item; an incident's category and subcategory
    major: bool
    replied_at: datetime | None  # the caller (requester) wrote since the last answer
    replied_on: str  # a task's item number, which the requester wrote on
    state: str
    state_text: Markup  # "On hold: awaiting caller"
    who: Markup  # "Service desk · Ann Lee"
    caller: str
    opened: str  # "6 Dec 07:58 CET"
    opened_long: str  # "6 Dec 2026 07:58 CET"


@cache
def _month_names(language: str) -> dict[int, str]:
    names = babel_dates.get_month_names("abbreviated", context="format", locale=language)
    return {month: str(names[month]) for month in range(1, 13)}


def date_writer(zone: str, locale: Locale) -> Callable[[datetime, bool], str]:
    """``write(value, short)``: ``value`` (UTC) as ``app.ui.format_datetime`` writes it in
    ``zone`` and ``locale`` (the pattern of ``formats.datetime_text``: ``6 Dec 2026 07:58 CET``,
    without the year when ``short``), with the zone and the month names looked up once."""
    tz, months = ZoneInfo(zone), _month_names(str(locale))

    def write(value: datetime, short: bool) -> str:
        local = value.astimezone(tz)
        year = "" if short else f" {local.year}"
        text = f"{local.day} {months[local.month]}{year} {local:%H:%M}"
        name = local.strftime("%Z")
        return f"{text} {name}" if name else text

    return write


class _Words:
    """Each label a page shows, translated once for the page."""

    def __init__(self, matrix: PriorityMatrix) -> None:
        self.matrix = matrix
        self.known: dict[Any, Markup] = {}

    def __call__(self, text: str) -> Markup:
        if text not in self.known:
            self.known[text] = Markup(gettext(text))  # as a template's _() gives it
        return self.known[text]

    def state(self, state: str, hold: str | None) -> Markup:
        key = ("state", state, hold)
        if key not in self.known:
            text = self(state.replace("_", " ").capitalize())
            if hold:
                text += Markup(": ") + self(HoldReason(hold).label).lower()
            self.known[key] = text
        return self.known[key]

    def priority(self, level: int) -> Markup:
        return self(self.matrix.label(level))


def _link(endpoint: str, key: str) -> Callable[[str], str]:
    """The URL of ``endpoint`` for each value of its one argument ``key``, ``url_for`` once."""
    values: dict[str, Any] = {key: "\x00"}
    head, _sep, tail = url_for(endpoint, **values).partition("%00")
    return lambda value: f"{head}{quote(value, safe='')}{tail}"


def queue_rows(ids: list[int], groups: Mapping[int, str], matrix: PriorityMatrix) -> list[QueueRow]:
    """The rows of the tickets with these ids, in this order: one statement for the rows and
    one for their tasks' request items when there are tasks. ``groups`` are group names by id
    (the console's assignment groups, read anyway); any other group is read by name."""
    if not ids:
        return []
    caller, assignee, incidents, tasks = CALLERS, ASSIGNEES, INCIDENTS, TASKS
    rows = db.session.execute(
        select(
            Ticket.id,
            Ticket.kind,
            Ticket.number,
            Ticket.short_description,
            Ticket.state,
            Ticket.priority,
            Ticket.opened_at,
            Ticket.caller_replied_at,
            Ticket.assignment_group_id,
            incidents.c.category,
            incidents.c.subcategory,
            incidents.c.major_state,
            incidents.c.hold_reason,
            tasks.c.hold_reason,
            tasks.c.item_id,
            caller.c.display_name,
            assignee.c.display_name,
        )
        .select_from(Ticket)
        .outerjoin(incidents, incidents.c.id == Ticket.id)
        .outerjoin(tasks, tasks.c.id == Ticket.id)
        .join(caller, caller.c.id == Ticket.caller_id)
        .outerjoin(assignee, assignee.c.id == Ticket.assignee_id)
        .where(Ticket.id.in_(ids))
    ).all()
    items = _items([row[14] for row in rows if row[14] is not None])
    names = dict(groups)
    if missing := {row[8] for row in rows if row[8] is not None} - names.keys():
        names.update(db.session.execute(select(Group.id, Group.name).where(Group.id.in_(missing))))
    words = _Words(matrix)
    write = date_writer(viewer_timezone(), formats.locale())
    incident_link = _link("incidents.detail", "number")
    task_link = _link("requests.task", "number")
    select_label = Markup(gettext("Select %(number)s"))
    unassigned, nobody = Markup(gettext("unassigned")), Markup(gettext("Unassigned"))
    built = {}
    for (
        id_,
        kind,
        number,
        short_description,
        state,
        priority,
        opened_at,
        replied_at,
        group_id,
        category,
        subcategory,
        major_state,
        incident_hold,
        task_hold,
        item_id,
        caller_name,
        assignee_name,
    ) in rows:
        task = kind == TicketKind.CATALOG_TASK
        item_number, item_name, item_replied_at = items.get(item_id, ("", "", None))
        if task:
            about = f"{item_number} · {item_name}"
        elif category:
            about = f"{category} › {subcategory}" if subcategory else category
        else:
            about = ""
        if group_id is not None:
            who = escape(names.get(group_id, "")) + Markup(" · ")
            who += escape(assignee_name) if assignee_name else unassigned
        else:
            who = escape(assignee_name) if assignee_name else nobody
        built[id_] = QueueRow(
            id=id_,
            number=number,
            href=(task_link if task else incident_link)(number),
            task=task,
            select_label=select_label % {"number": number},
            priority=priority,
            priority_tone=min(priority, 5),
            priority_label=words.priority(priority),
            short_description=short_description,
            about=about,
            major=not task and major_state == MajorState.ACCEPTED,
            replied_at=item_replied_at if task else replied_at,
            replied_on=item_number,
            state=state,
            state_text=words.state(state, task_hold if task else incident_hold),
            who=who,
            caller=caller_name,
            opened=write(opened_at, True),
            opened_long=write(opened_at, False),
        )
    return [built[i] for i in ids if i in built]


@dataclass(frozen=True, slots=True)
class GroupOptions:
    """The console's two lists of assignment groups (the filter's and the bulk action's) as
    ``<option>`` HTML written once: 78 groups, each a template loop's iteration twice over,
    cost as much as the page's 25 rows."""

    blank: str  # the label of the choice of no group
    plain: Markup  # every group, none selected
    chosen: Markup  # the same with ``selected`` on the filter's group


def group_options(groups: Iterable[SelectChoice], selected: int | None) -> GroupOptions:
    """``groups``: the blank choice, then a choice per group (``tickets.pages.group_choices``)."""
    blank, *named = groups
    plain = "".join(f'<option value="{escape(c.value)}">{escape(c.label)}</option>' for c in named)
    mark = f'<option value="{selected}">'
    chosen = plain.replace(mark, f'<option value="{selected}" selected>', 1) if selected else plain
    return GroupOptions(blank=str(blank.label), plain=Markup(plain), chosen=Markup(chosen))


def _items(task_item_ids: Iterable[int]) -> dict[int, tuple[str, str, datetime | None]]:
    """Tasks' request items by id: their number, catalog item's name and the requester's last
    reply."""
    wanted = set(task_item_ids)
    if not wanted:
        return {}
    rows = db.session.execute(
        select(RequestItem.id, RequestItem.number, CatalogItem.name, RequestItem.caller_replied_at)
        .join(CatalogItem, CatalogItem.id == RequestItem.catalog_item_id)
        .where(RequestItem.id.in_(wanted))
    )
    return {id_: (number, name, replied_at) for id_, number, name, replied_at in rows}


@dataclass(frozen=True, slots=True)
class OwnRow:
    """One row of an employee's "my tickets"."""

    number: str
    href: str
    short_description: str
    state: str
    words: Markup  # where it stands, in plain words: "Waiting for your reply"
    opened: str


def own_rows(rows: Iterable[Any]) -> list[OwnRow]:
    """``rows`` of (number, short description, state, hold reason, opened) worded."""
    link = _link("incidents.detail", "number")
    write = date_writer(viewer_timezone(), formats.locale())
    words: dict[tuple[str, Any], Markup] = {}
    built = []
    for number, short_description, state, hold, opened_at in rows:
        if (state, hold) not in words:
            said = plain_words(State(state), HoldReason(hold) if hold else None)
            words[state, hold] = Markup(gettext(said))  # as a template's _() gives it
        built.append(
            OwnRow(
                number=number,
                href=link(number),
                short_description=short_description,
                state=state,
                words=words[state, hold],
                opened=write(opened_at, True),
            )
        )
    return built
