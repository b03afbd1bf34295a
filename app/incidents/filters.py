"""The agent queue's filters, parsed and validated once, for the UI list and the API alike.

The queue holds the tickets agents work: incidents and catalog tasks (``SCTASK``), both or one
kind (``kind``); incident-only filters (category, CI) leave tasks out."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import selectinload, with_polymorphic
from wtforms import (
    DateField,
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import NumberRange, Optional

from app.auth.models import group_members
from app.cmdb.models import ConfigurationItem
from app.extensions import db
from app.filtering import FilterForm
from app.incidents.models import Incident, incident_cis
from app.incidents.workflow import OPEN_STATES, State
from app.requests.models import CatalogTask, RequestItem
from app.search import query as search_query
from app.tickets.models import CHANNEL_LABELS, Channel, Ticket, TicketKind

MAX_ID = 2**31 - 1
VIEWS = {
    "mine": _l("My work"),
    "unassigned": _l("Unassigned in my groups"),
    "open": _l("All open"),
    "all": _l("Everything"),
}
KINDS = {
    "": _l("Incidents and tasks"),
    TicketKind.INCIDENT.value: _l("Incidents"),
    TicketKind.CATALOG_TASK.value: _l("Catalog tasks"),
}
SORTS = {
    "priority": (Ticket.priority, Ticket.opened_at),
    "opened": (Ticket.opened_at,),
    "updated": (Ticket.updated_at,),
    "number": (Ticket.number,),
}
SORT_LABELS = {
    "priority": _l("Priority"),
    "opened": _l("Opened"),
    "updated": _l("Updated"),
    "number": _l("Number"),
}


class QueueFilterForm(FilterForm):
    view = SelectField(choices=[SelectChoice(k, v) for k, v in VIEWS.items()], default="open")
    kind = SelectField(
        _l("Kind"), choices=[SelectChoice(k, v) for k, v in KINDS.items()], default=""
    )
    state = SelectMultipleField(
        _l("State"),
        choices=[SelectChoice(s.value, _l(s.label)) for s in State],
        validate_choice=True,
    )
    priority = SelectMultipleField(
        _l("Priority"),
        choices=[SelectChoice(str(p), _l("P%(level)s", level=p)) for p in range(1, 10)],
    )
    group = IntegerField(_l("Group"), validators=[Optional(), NumberRange(min=1, max=MAX_ID)])
    assignee = IntegerField(_l("Assignee"), validators=[Optional(), NumberRange(min=1, max=MAX_ID)])
    category = StringField(_l("Category"), validators=[Optional()])
    ci = StringField(_l("Configuration item"), validators=[Optional()])
    q = StringField(_l("Search"), validators=[Optional()])
    # The drill-down of the report pages: days (UTC, both ends included), channel, service.
    opened_from = DateField(_l("Opened from"), validators=[Optional()])
    opened_to = DateField(_l("Opened to"), validators=[Optional()])
    resolved_from = DateField(_l("Resolved from"), validators=[Optional()])
    resolved_to = DateField(_l("Resolved to"), validators=[Optional()])
    channel = SelectMultipleField(
        _l("Channel"), choices=[SelectChoice(c.value, _l(CHANNEL_LABELS[c])) for c in Channel]
    )
    service = IntegerField(_l("Service"), validators=[Optional(), NumberRange(min=1, max=MAX_ID)])
    sort = SelectField(choices=[SelectChoice(k, SORT_LABELS[k]) for k in SORTS], default="priority")
    direction = SelectField(
        choices=[SelectChoice("asc", _l("Ascending")), SelectChoice("desc", _l("Descending"))],
        default="asc",
    )
    page = IntegerField(validators=[Optional(), NumberRange(min=1, max=MAX_ID)])


def day_start(day: date) -> datetime:
    """The first instant (UTC) of a report day."""
    return datetime.combine(day, time(), tzinfo=UTC)


def within_days(column: Any, first: date | None, last: date | None) -> list[ColumnElement[bool]]:
    """``column`` on the days ``first`` to ``last`` (UTC, both included; either may be open)."""
    conditions = []
    if first:
        conditions.append(column >= day_start(first))
    if last:
        conditions.append(column < day_start(last + timedelta(days=1)))
    return conditions


def on_services(ci_ids: list[int]) -> ColumnElement[bool]:
    """Tickets on one of these business services: incidents linking the service's CI or naming
    it as their affected service (as the service owner's home counts them)."""
    incidents = Incident.__table__
    names = select(ConfigurationItem.name).where(ConfigurationItem.id.in_(ci_ids))
    linked = select(incident_cis.c.incident_id).where(incident_cis.c.ci_id.in_(ci_ids))
    named = select(incidents.c.id).where(incidents.c.affected_service.in_(names))
    return or_(Ticket.id.in_(linked), Ticket.id.in_(named))


def service_name(ci_id: int) -> str:
    """What the console's service filter shows: the CI's name (``Service #7`` for none)."""
    name = db.session.scalar(select(ConfigurationItem.name).where(ConfigurationItem.id == ci_id))
    return name or _("Service #%(id)s", id=ci_id)


def number_or_text(query: Select, text: str | None, *, notes: bool) -> Select:
    """The search box of the console and the API: the ticket of that number (its number here,
    or the number of the tool it was imported from, such as INC0000045), or those whose indexed
    texts match (title, description, replies; work notes only when ``notes``, for IT staff). A
    blank box filters nothing."""
    text = (text or "").strip()
    if not text:
        return query
    number = or_(
        Ticket.number == text.upper()[:20],
        Ticket.external_number.in_({text[:60], text.upper()[:60]}),
    )
    matching = search_query.matching_ids(text, "ticket", notes=notes)
    return query.where(number if matching is None else or_(number, Ticket.id.in_(matching)))


def queue_ids(form: QueueFilterForm, user: Any) -> Select:
    """The ids of the tickets matching a validated filter form, sorted, for ``user``.

    The query touches ``tickets`` alone (incident-only filters become subqueries), so the
    page and its count use the tickets' indexes without joining ``incidents``; the page's rows
    are loaded afterwards (see ``load_page``).
    """
    kind = Ticket.kind == form.kind.data if form.kind.data else Ticket.kind.in_(list(KINDS)[1:])
    query = select(Ticket.id).where(kind)
    view = form.view.data or "open"
    if view != "all" and not form.state.data:
        query = query.where(Ticket.state.in_([s.value for s in OPEN_STATES]))
    if view == "mine":
        query = query.where(Ticket.assignee_id == user.id)
    elif view == "unassigned":
        my_groups = select(group_members.c.group_id).where(group_members.c.user_id == user.id)
        query = query.where(Ticket.assignee_id.is_(None), Ticket.assignment_group_id.in_(my_groups))
    if form.state.data:
        query = query.where(Ticket.state.in_(form.state.data))
    if form.priority.data:
        query = query.where(Ticket.priority.in_([int(p) for p in form.priority.data]))
    if form.group.data:
        query = query.where(Ticket.assignment_group_id == form.group.data)
    if form.assignee.data:
        query = query.where(Ticket.assignee_id == form.assignee.data)
    if form.category.data:
        incidents = Incident.__table__
        query = query.where(
            Ticket.id.in_(
                select(incidents.c.id).where(
                    func.lower(incidents.c.category) == form.category.data.strip().lower()
                )
            )
        )
    if form.ci.data:
        query = query.where(
            Ticket.id.in_(
                select(incident_cis.c.incident_id)
                .join(ConfigurationItem, ConfigurationItem.id == incident_cis.c.ci_id)
                .where(ConfigurationItem.name_key == func.lower(form.ci.data.strip()))
            )
        )
    if form.channel.data:
        query = query.where(Ticket.channel.in_(form.channel.data))
    if form.service.data:
        query = query.where(on_services([form.service.data]))
    query = query.where(
        *within_days(Ticket.opened_at, form.opened_from.data, form.opened_to.data),
        *within_days(Ticket.resolved_at, form.resolved_from.data, form.resolved_to.data),
    )
    # Work notes are searched too: agents work this queue.
    query = number_or_text(query, form.q.data, notes=True)
    keys, descending = queue_order(form)
    return query.order_by(*(k.desc() if descending else k.asc() for k in keys))


def queue_order(form: QueueFilterForm) -> tuple[list[Any], bool]:
    """The columns the queue is sorted by (the ticket's id last, so the order is total) and
    whether descending: the keys of the console's "next" and "previous" links."""
    columns = SORTS.get(form.sort.data or "priority", SORTS["priority"])
    return [*columns, Ticket.id], form.direction.data == "desc"


def load_page(ids: list[int]) -> list[Ticket]:
    """The incidents and tasks with these ids, in this order, with what a list shows (a task's
    request item too), in two queries."""
    if not ids:
        return []
    tickets = with_polymorphic(Ticket, [Incident, CatalogTask])
    query = select(tickets).where(tickets.id.in_(ids))
    items = selectinload(tickets.CatalogTask.item)  # a task's row names its item
    query = query.options(
        items.lazyload("*"),
        items.joinedload(RequestItem.catalog_item).lazyload("*"),
    )
    rows = {i.id: i for i in db.session.scalars(query)}
    return [rows[i] for i in ids if i in rows]
