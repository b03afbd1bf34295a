"""What the incident page shows, prepared in a bounded number of queries.

Agents get the working page (edit, assign, state, notes, parent/children, major incident);
everyone else gets the caller's page, where work notes and internal files never appear.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import cache, partial
from typing import Any, NamedTuple

from flask import current_app, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import (
    Integer,
    Select,
    String,
    bindparam,
    cast,
    literal,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import aliased, lazyload
from sqlalchemy.orm.attributes import set_committed_value
from werkzeug.datastructures import MultiDict
from wtforms import SelectChoice

from app.extensions import db
from app.i18n.content import translated
from app.i18n.words import gettext as _
from app.incidents import cis, correlation, permissions, review, services
from app.incidents.forms import (
    CommentForm,
    IncidentForm,
    MajorForm,
    ParentForm,
    ReopenForm,
    WatcherForm,
)
from app.incidents.models import Category, Incident, MajorState, incident_cis
from app.incidents.workflow import (
    OPEN_STATES,
    RESOLUTION_CODES,
    State,
    allowed_targets,
    plain_change,
    plain_words,
)
from app.settings_cache import cached
from app.sla.models import TaskSla
from app.sla.services import sla_summaries
from app.tickets import pages as ticket_pages
from app.tickets import services as tickets
from app.tickets.matrix import load_matrix
from app.tickets.models import Attachment, EntryKind, JournalEntry, ticket_watchers
from app.tickets.priority import PriorityMatrix
from app.timeutils import utc_now


def top_categories() -> Select[str, dict[str, dict[str, str]] | None]:
    """The top-level categories' English names and their translations (unordered)."""
    return select(Category.name, Category.translations).where(Category.parent_id.is_(None))


def category_options(rows: Iterable[Any]) -> list[SelectChoice]:
    """The categories ``rows`` name (``name``, ``translations``): the English name is the
    value, the reader's the label."""
    return [SelectChoice("", "—")] + [SelectChoice(r.name, translated(r, "name")) for r in rows]


def category_choices() -> list[SelectChoice]:
    """The top-level categories, as a select offers them."""
    return category_options(db.session.execute(top_categories().order_by(Category.name)))


@dataclass(frozen=True)
class FormOptions:
    """The choices of an incident form's lists that come from the data."""

    categories: list[SelectChoice]
    groups: list[SelectChoice]
    members: list[SelectChoice]  # the active people of one group
    matrix: PriorityMatrix | None = None  # when asked for
    subcategory: str | None = None  # the name asked for, in the reader's language


def form_options(
    group_id: int | None,
    *,
    matrix: bool = False,
    subcategory: tuple[str, str] | None = None,
) -> FormOptions:
    """The assignment groups, ``group_id``'s active people (none without a group), the
    top-level categories, the priority matrix (when asked for: its
    impacts, urgencies and levels are the form's other lists) and the name of a
    ``subcategory`` (its name and its category's, as an incident stores them; as
    :func:`category_name` words it). The lists change a few times a day at most: they come
    from the desk settings' cache (:mod:`app.settings_cache`), read again, in one statement
    for the queues and categories and one for the people, only after a change; the options
    are built from them for each reader's language."""
    lists = cached(FORM_LISTS_KEY, _read_lists)
    members: tuple[tuple[int, str], ...] = ()
    if group_id and any(group_id == queue for queue, _name in lists.groups):
        members = cached(f"{MEMBERS_KEY}:{group_id}", partial(_read_members, group_id))
    elif group_id:  # not a queue (a form may post any number): read, and keep nothing
        members = _read_members(group_id)
    named = None
    if subcategory:
        name, parent = subcategory
        found = next((r for r in lists.subcategories if (r.name, r.parent) == (name, parent)), None)
        named = translated(found, "name") if found is not None else name
    return FormOptions(
        category_options(lists.categories),
        ticket_pages.group_options(lists.groups),
        ticket_pages.assignee_options(members),
        load_matrix() if matrix else None,
        named,
    )


FORM_LISTS_KEY = "incident_form_lists"  # in the settings cache
MEMBERS_KEY = "incident_form_members"  # ...followed by the group's id


class FormLists(NamedTuple):
    """The incident form's lists of queues and categories, each by name, as cached."""

    groups: tuple[Any, ...]  # (id, name)
    categories: tuple[Any, ...]  # the top-level ones: (name, translations)
    subcategories: tuple[Any, ...]  # (name, parent, translations)


def _read_lists() -> FormLists:
    found: dict[str, list[Any]] = {"group": [], "category": [], "subcategory": []}
    for row in db.session.execute(_lists_statement()):
        found[row.list].append(row)
    return FormLists(
        tuple((int(r.value), r.name) for r in found["group"]),
        tuple(found["category"]),
        tuple(found["subcategory"]),
    )


def _read_members(group_id: int) -> tuple[tuple[int, str], ...]:
    rows = db.session.execute(_members_statement(), {"group_id": group_id})
    return tuple((row.id, row.display_name) for row in rows)


@cache
def _lists_statement() -> Select[Any]:
    """:func:`_read_lists`' statement, built once: a ``UNION ALL`` of the lists (``value``
    a group's id, ``parent`` a subcategory's category), each in its own order."""
    groups = ticket_pages.assignment_groups().subquery()
    no_translations = cast(null(), Category.translations.type)
    no_parent = cast(null(), String)
    top = top_categories().subquery()
    parent = aliased(Category)
    subs = (
        select(Category.name, parent.name.label("parent"), Category.translations)
        .join(parent, Category.parent_id == parent.id)
        .subquery()
    )
    lists = union_all(
        select(
            literal("group").label("list"),
            cast(groups.c.id, String).label("value"),
            groups.c.name.label("name"),
            no_parent.label("parent"),
            no_translations.label("translations"),
        ),
        select(literal("category"), top.c.name, top.c.name, no_parent, top.c.translations),
        select(
            literal("subcategory"), subs.c.name, subs.c.name, subs.c.parent, subs.c.translations
        ),
    ).subquery()
    return select(lists).order_by(lists.c.list, lists.c.name)


@cache
def _members_statement() -> Select[Any]:
    members = ticket_pages.active_members(bindparam("group_id", type_=Integer)).subquery()
    return select(members).order_by(members.c.display_name)


def category_name(name: str | None, parent: str | None = None) -> str:
    """A category (or, with ``parent``, a subcategory) an incident names, in the reader's
    language when the category has a name in it; the stored name otherwise."""
    if not name:
        return ""
    query = select(Category).where(Category.name == name)
    if parent:
        above = select(Category.id).where(Category.name == parent, Category.parent_id.is_(None))
        query = query.where(Category.parent_id.in_(above))
    else:
        query = query.where(Category.parent_id.is_(None))
    category = db.session.scalars(query.limit(1)).first()
    return translated(category, "name") if category is not None else name


def _attachments(incident: Incident, staff: bool) -> list[Attachment]:
    query = select(Attachment).where(Attachment.ticket_id == incident.id)
    if not staff:
        query = query.where(Attachment.internal.is_(False))
    return list(db.session.scalars(query.order_by(Attachment.id)))


def visible_attachment(incident: Incident, attachment_id: int) -> Attachment | None:
    staff = permissions.may_work(current_user, incident)
    return next((a for a in _attachments(incident, staff) if a.id == attachment_id), None)


def related_incidents(incident: Incident, ci_ids: list[int], limit: int = 10) -> list[Incident]:
    """Other open incidents on the same configuration items (not its own children)."""
    if not ci_ids:
        return []
    sharing = select(incident_cis.c.incident_id).where(incident_cis.c.ci_id.in_(ci_ids))
    query = (
        select(Incident)
        .where(
            Incident.id.in_(sharing),
            Incident.id != incident.id,
            Incident.state.in_([s.value for s in OPEN_STATES]),
            or_(Incident.parent_id.is_(None), Incident.parent_id != incident.id),
        )
        .options(lazyload("*"))  # named only: none of its people
        .order_by(Incident.opened_at.desc())
        .limit(limit)
    )
    return list(db.session.scalars(query))


class Presence(NamedTuple):
    """Whether an incident has CIs, files, children, watchers and SLA records."""

    cis: bool
    files: bool
    children: bool
    watchers: bool
    slas: bool


def presence_of(incident_id: Any) -> list[Any]:
    """:class:`Presence`'s columns for the incident whose id is ``incident_id`` (a value, or
    the column of an enclosing select of incidents): one ``EXISTS`` each. Most incidents have
    few of these, and the page skips the read of each one it does not have instead of running
    a query to find it empty."""
    children = Incident.__table__.alias("child_incidents")
    return [
        select(incident_cis.c.ci_id).where(incident_cis.c.incident_id == incident_id).exists(),
        select(Attachment.id).where(Attachment.ticket_id == incident_id).exists(),
        select(children.c.id).where(children.c.parent_id == incident_id).exists(),
        select(ticket_watchers.c.user_id)
        .where(ticket_watchers.c.ticket_id == incident_id)
        .exists(),
        select(TaskSla.id).where(TaskSla.ticket_id == incident_id).exists(),
    ]


def present(incident: Incident) -> Presence:
    """What :func:`presence_of` says of ``incident``, read in one statement."""
    return Presence(*db.session.execute(select(*presence_of(incident.id))).one())


def current_values(incident: Incident) -> MultiDict:
    """The incident form's fields as the incident is now."""
    override = incident.priority_override_reason
    return MultiDict(
        {
            "version": str(incident.version),
            "state": str(incident.state),
            "hold_reason": incident.hold_reason.value if incident.hold_reason else "",
            "resolution_code": incident.resolution_code or "",
            "resolution_notes": incident.resolution_notes or "",
            "group": str(incident.assignment_group_id or ""),
            "assignee": str(incident.assignee_id or ""),
            "impact": str(incident.impact),
            "urgency": str(incident.urgency),
            "priority": str(incident.priority) if override else "",
            "priority_reason": override or "",
            "category": incident.category or "",
            "subcategory": incident.subcategory or "",
            "affected_service": incident.affected_service or "",
            "short_description": incident.short_description,
            "description": incident.description or "",
        }
    )


def incident_form(incident: Incident, submitted: MultiDict | None = None) -> IncidentForm:
    """The agent's form for ``incident``: the submitted fields over the current values (a
    field left out of a post stays as it is), with the choices the data allows."""
    return _incident_form(incident, submitted)[0]


def _incident_form(
    incident: Incident,
    submitted: MultiDict | None,
    *,
    subcategory: bool = False,
) -> tuple[IncidentForm, FormOptions]:
    """:func:`incident_form` and the options it was built with, their ``matrix`` the one its
    lists show (read with its other lists), their ``subcategory`` the
    incident's subcategory as the page words it (when asked for and it has one)."""
    values = current_values(incident)
    for key in submitted or {}:
        values.setlist(key, submitted.getlist(key))
    form = IncidentForm(formdata=values)
    group_id = form.group.data or ""
    options = form_options(
        int(group_id) if group_id.isdecimal() else None,
        matrix=True,
        subcategory=(incident.subcategory, incident.category)
        if subcategory and incident.category and incident.subcategory
        else None,
    )
    matrix = options.matrix or load_matrix()
    form.impact.choices = [SelectChoice(str(k), f"{k} - {_(v)}") for k, v in matrix.impacts.items()]
    form.urgency.choices = [
        SelectChoice(str(k), f"{k} - {_(v)}") for k, v in matrix.urgencies.items()
    ]
    form.priority.choices = [SelectChoice("", _("From the matrix"))] + [
        SelectChoice(str(k), _("P%(level)s · %(label)s (set by hand)", level=k, label=_(v)))
        for k, v in matrix.levels.items()
    ]
    form.category.choices = options.categories
    if incident.category and incident.category not in {c.value for c in form.category.choices}:
        form.category.choices.append(SelectChoice(incident.category, incident.category))
    form.group.choices = options.groups
    form.assignee.choices = options.members
    return form, replace(options, matrix=matrix)


def _agent_forms(incident: Incident, forms: dict[str, Any]) -> dict[str, Any]:
    """The agent's forms, the matrix the page shows and the words of the incident's
    subcategory (both read with the form's lists)."""
    matrix: PriorityMatrix | None
    if forms.get("incident_form"):
        form, matrix, subcategory = forms["incident_form"], load_matrix(), None
    else:
        form, options = _incident_form(incident, None, subcategory=True)
        matrix, subcategory = options.matrix, options.subcategory
    now = State(incident.state)
    form.state.choices = [SelectChoice(now.value, _("%(state)s (now)", state=_(now.label)))] + [
        SelectChoice(s.value, _(s.label)) for s in State if s in allowed_targets(now)
    ]
    parent = ParentForm(formdata=None)
    parent.parent.data = incident.parent.number if incident.parent else ""
    # The one-button forms (assign to me, accept or reject as major) carry only the CSRF
    # token; the proposal's form is built only while the incident can be proposed.
    proposable = incident.major_state in (MajorState.NONE, MajorState.REJECTED)
    return {
        "incident_form": form,
        "matrix": matrix,
        # The category's name as the form's choices already read it (no query of its own).
        "category_label": next(
            (c.label for c in form.category.choices if c.value == incident.category), None
        ),
        "subcategory_label": subcategory,
        "may_take": incident.is_open and incident.assignee_id != current_user.id,
        "parent_form": parent,
        "major_form": MajorForm(formdata=None) if proposable else None,
    }


def caller_words(timeline: list[JournalEntry], reader_id: int) -> dict[int, str]:
    """What each change of state on the employee's timeline says, in plain words."""
    said = {}
    for entry in timeline:
        if entry.kind == EntryKind.CHANGE and "state" in entry.changes:
            old, new = entry.changes["state"]
            said[entry.id] = plain_change(
                old,
                new,
                hold_reason=(entry.changes.get("hold_reason") or [None, None])[1],
                resolution_code=(entry.changes.get("resolution_code") or [None, None])[1],
                by_reader=entry.author_id == reader_id,
                _=_,
            )
    return said


def render_detail(
    incident: Incident,
    *,
    status: int = 200,
    newest_first: bool = True,
    has: Presence | None = None,
    **forms: Any,
) -> ResponseReturnValue:
    """The incident page for the signed-in person; ``has`` is the incident's
    :class:`Presence` when the caller read it with the incident."""
    staff = permissions.may_work(current_user, incident)
    if not staff and permissions.reads_as_reviewer(current_user, incident):
        return review.render_review(incident, status=status, **forms)
    has = has or present(incident)
    context: dict[str, Any] = {
        "incident": incident,
        "staff": staff,
        "timeline": tickets.timeline(incident, public_only=not staff, newest_first=newest_first),
        "newest_first": newest_first,
        "files": _attachments(incident, staff) if has.files else [],
        "ci_ids": cis.ci_ids_of(incident) if has.cis else [],
        "resolution_codes": RESOLUTION_CODES,
        "comment_form": forms.get("comment_form") or CommentForm(formdata=None),
        # A refused post answers with the page; the browser then shows the page's own address,
        # so a reload asks for the page instead of sending the form again.
        "replace_url": url_for("incidents.detail", number=incident.number) if status != 200 else "",
    }
    # Known empty relations are set as such: their lazy loads would still run a query each.
    if not context["ci_ids"]:
        set_committed_value(incident, "cis", [])
    if staff:
        if incident.parent_id is None:
            set_committed_value(incident, "parent", None)
        for relation in ("children", "watchers"):
            if not getattr(has, relation):
                set_committed_value(incident, relation, [])
        context.update(_agent_forms(incident, forms))
        context["children"] = list(incident.children)
        context["related"] = related_incidents(incident, context["ci_ids"])
        context["slas"] = sla_summaries([incident.id]).get(incident.id, []) if has.slas else []
        context.update(correlation.cmdb_context(incident, context["ci_ids"]))
        context["watchers"] = list(incident.watchers)
        context["watch_form"] = forms.get("watch_form") or WatcherForm(formdata=None)
    else:
        window = services.reopen_window(current_app.config)
        context["said"] = caller_words(context["timeline"], current_user.id)
        context["plain_state"] = plain_words(State(incident.state), incident.hold_reason, _)
        context["may_confirm"] = permissions.may_confirm_or_reopen(current_user, incident)
        context["can_reopen"] = services.can_reopen(incident, utc_now(), window)
        context["reopen_form"] = forms.get("reopen_form") or ReopenForm(formdata=None)
    template = "incidents/detail.html" if staff else "incidents/ticket.html"
    return render_template(template, **context), status
