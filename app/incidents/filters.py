"""The agent queue's filters, parsed and validated once, for the UI list and the API alike."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from sqlalchemy import Select, exists, func, or_, select
from wtforms import IntegerField, SelectChoice, SelectField, SelectMultipleField, StringField
from wtforms.validators import NumberRange, Optional

from app.auth.models import group_members
from app.incidents.models import Incident, incident_cis
from app.incidents.workflow import OPEN_STATES, State

VIEWS = {
    "mine": "My work",
    "unassigned": "Unassigned in my groups",
    "open": "All open",
    "all": "Everything",
}
SORTS = {
    "priority": (Incident.priority, Incident.opened_at),
    "opened": (Incident.opened_at,),
    "updated": (Incident.updated_at,),
    "number": (Incident.number,),
}


class QueueFilterForm(FlaskForm):
    class Meta:
        csrf = False

    view = SelectField(choices=[SelectChoice(k, v) for k, v in VIEWS.items()], default="open")
    state = SelectMultipleField(
        "State", choices=[SelectChoice(s.value, s.label) for s in State], validate_choice=True
    )
    priority = SelectMultipleField(
        "Priority", choices=[SelectChoice(str(p), f"P{p}") for p in range(1, 10)]
    )
    group = IntegerField("Group", validators=[Optional()])
    assignee = IntegerField("Assignee", validators=[Optional()])
    category = StringField("Category", validators=[Optional()])
    ci = StringField("Configuration item", validators=[Optional()])
    q = StringField("Search", validators=[Optional()])
    sort = SelectField(choices=[SelectChoice(k, k.capitalize()) for k in SORTS], default="priority")
    direction = SelectField(
        choices=[SelectChoice("asc", "Ascending"), SelectChoice("desc", "Descending")],
        default="asc",
    )
    page = IntegerField(validators=[Optional(), NumberRange(min=1)])


def queue_query(form: QueueFilterForm, user: Any) -> Select:
    """The incidents matching a validated filter form, sorted, for ``user`` (an agent)."""
    query = select(Incident)
    view = form.view.data or "open"
    if view != "all" and not form.state.data:
        query = query.where(Incident.state.in_([s.value for s in OPEN_STATES]))
    if view == "mine":
        query = query.where(Incident.assignee_id == user.id)
    elif view == "unassigned":
        my_groups = select(group_members.c.group_id).where(group_members.c.user_id == user.id)
        query = query.where(
            Incident.assignee_id.is_(None), Incident.assignment_group_id.in_(my_groups)
        )
    if form.state.data:
        query = query.where(Incident.state.in_(form.state.data))
    if form.priority.data:
        query = query.where(Incident.priority.in_([int(p) for p in form.priority.data]))
    if form.group.data:
        query = query.where(Incident.assignment_group_id == form.group.data)
    if form.assignee.data:
        query = query.where(Incident.assignee_id == form.assignee.data)
    if form.category.data:
        query = query.where(func.lower(Incident.category) == form.category.data.strip().lower())
    if form.ci.data:
        query = query.where(
            exists(
                select(incident_cis.c.incident_id).where(
                    incident_cis.c.incident_id == Incident.id,
                    func.lower(incident_cis.c.ci_name) == form.ci.data.strip().lower(),
                )
            )
        )
    if form.q.data:
        text = form.q.data.strip()
        pattern = f"%{text.lower()}%"
        query = query.where(
            or_(
                func.lower(Incident.short_description).like(pattern),
                Incident.number == text.upper(),
            )
        )
    columns = SORTS.get(form.sort.data or "priority", SORTS["priority"])
    descending = form.direction.data == "desc"
    order = [c.desc() if descending else c.asc() for c in columns]
    return query.order_by(*order, Incident.id.desc() if descending else Incident.id.asc())
