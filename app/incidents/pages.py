"""What the incident page shows, prepared in a bounded number of queries.

Agents get the working page (edit, assign, state, notes, parent/children, major incident);
everyone else gets the caller's page, where work notes and internal files never appear.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, render_template
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import or_, select
from wtforms import SelectChoice

from app.auth import groups as group_services
from app.auth.models import Group
from app.extensions import db
from app.incidents import cis, correlation, permissions, services
from app.incidents.forms import (
    AssignForm,
    CommentForm,
    ConfirmForm,
    EditForm,
    MajorDecisionForm,
    MajorForm,
    ParentForm,
    PriorityForm,
    ReopenForm,
    StateForm,
    WatcherForm,
)
from app.incidents.matrix import load_matrix
from app.incidents.models import Category, Incident, incident_cis
from app.incidents.workflow import (
    OPEN_STATES,
    RESOLUTION_CODES,
    State,
    allowed_targets,
    plain_words,
)
from app.sla.services import sla_summaries
from app.tickets import services as tickets
from app.tickets.models import Attachment, EntryKind, JournalEntry
from app.timeutils import utc_now
from app.ui import format_datetime


def category_choices() -> list[SelectChoice]:
    names = db.session.scalars(
        select(Category.name).where(Category.parent_id.is_(None)).order_by(Category.name)
    ).all()
    return [SelectChoice("", "—")] + [SelectChoice(n, n) for n in names]


def group_choices() -> list[SelectChoice]:
    queues = db.session.execute(
        select(Group.id, Group.name).where(Group.is_assignment_group).order_by(Group.name)
    ).all()
    return [SelectChoice("", "— Unassigned —")] + [SelectChoice(str(i), n) for i, n in queues]


def assignee_choices(group_id: int | None) -> list[SelectChoice]:
    """The active members of one queue (the page reloads them when the group changes)."""
    people = group_services.members_by_group([group_id]).get(group_id, []) if group_id else []
    return [SelectChoice("", "— Nobody yet —")] + [
        SelectChoice(str(u.id), u.display_name) for u in people
    ]


def _attachments(incident: Incident, staff: bool) -> list[Attachment]:
    query = select(Attachment).where(Attachment.ticket_id == incident.id)
    if not staff:
        query = query.where(Attachment.internal.is_(False))
    return list(db.session.scalars(query.order_by(Attachment.id)))


def visible_attachment(incident: Incident, attachment_id: int) -> Attachment | None:
    staff = permissions.may_work(current_user, incident)
    return next((a for a in _attachments(incident, staff) if a.id == attachment_id), None)


def latest_change_by_someone_else(incident: Incident, user: Any) -> str:
    """ "Ann Lee changed short description, priority at 14:02": for a conflict message."""
    entry = db.session.scalar(
        select(JournalEntry)
        .where(
            JournalEntry.ticket_id == incident.id,
            JournalEntry.kind == EntryKind.CHANGE,
            JournalEntry.author_id != user.id,
        )
        .order_by(JournalEntry.id.desc())
        .limit(1)
    )
    if entry is None:
        return ""
    who = entry.author.display_name if entry.author else "Someone"
    fields = ", ".join(f.replace("_", " ") for f in entry.changes)
    return f"{who} changed {fields} ({format_datetime(entry.created_at)})."


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
        .order_by(Incident.opened_at.desc())
        .limit(limit)
    )
    return list(db.session.scalars(query))


def _agent_forms(incident: Incident, forms: dict[str, Any]) -> dict[str, Any]:
    version = str(incident.version)
    edit = forms.get("edit_form") or EditForm(obj=incident, formdata=None)
    edit.category.choices = category_choices()
    edit.version.data = version
    edit.impact.data, edit.urgency.data = str(incident.impact), str(incident.urgency)
    assign = forms.get("assign_form") or AssignForm(formdata=None)
    if "assign_form" not in forms:
        assign.group.data = str(incident.assignment_group_id or "")
        assign.assignee.data = str(incident.assignee_id or "")
    assign.group.choices = group_choices()
    group_id = assign.group.data
    assign.assignee.choices = assignee_choices(int(group_id) if group_id.isdigit() else None)
    assign.version.data = version
    state = forms.get("state_form") or StateForm(formdata=None)
    targets = allowed_targets(State(incident.state))
    state.state.choices = [SelectChoice(s.value, s.label) for s in State if s in targets]
    state.version.data = version
    priority = forms.get("priority_form") or PriorityForm(formdata=None)
    priority.version.data = version
    if "priority_form" not in forms:
        priority.priority.data = incident.priority
    parent = ParentForm(formdata=None)
    parent.parent.data = incident.parent.number if incident.parent else ""
    return {
        "edit_form": edit,
        "assign_form": assign,
        "state_form": state,
        "priority_form": priority,
        "parent_form": parent,
        "major_form": MajorForm(formdata=None),
        "major_decision_form": MajorDecisionForm(formdata=None),
    }


def render_detail(
    incident: Incident, *, status: int = 200, newest_first: bool = True, **forms: Any
) -> ResponseReturnValue:
    staff = permissions.may_work(current_user, incident)
    window = services.reopen_window(current_app.config)
    context: dict[str, Any] = {
        "incident": incident,
        "staff": staff,
        "timeline": tickets.timeline(incident, public_only=not staff, newest_first=newest_first),
        "newest_first": newest_first,
        "files": _attachments(incident, staff),
        "ci_ids": cis.ci_ids_of(incident),
        "matrix": load_matrix(),
        "plain_state": plain_words(State(incident.state), incident.hold_reason),
        "resolution_codes": RESOLUTION_CODES,
        "comment_form": forms.get("comment_form") or CommentForm(formdata=None),
        "may_confirm": permissions.may_confirm_or_reopen(current_user, incident),
        "can_reopen": services.can_reopen(incident, utc_now(), window),
        "confirm_form": ConfirmForm(formdata=None),
        "reopen_form": forms.get("reopen_form") or ReopenForm(formdata=None),
    }
    if staff:
        context.update(_agent_forms(incident, forms))
        context["children"] = list(incident.children)
        context["related"] = related_incidents(incident, context["ci_ids"])
        context["slas"] = sla_summaries([incident.id]).get(incident.id, [])
        context.update(correlation.impact_context(context["ci_ids"]))
        context["parent_candidates"] = correlation.parent_candidates(incident, context["ci_ids"])
        context["watchers"] = list(incident.watchers)
        context["watch_form"] = forms.get("watch_form") or WatcherForm(formdata=None)
    template = "incidents/detail.html" if staff else "incidents/ticket.html"
    return render_template(template, **context), status
