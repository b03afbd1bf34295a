"""What the catalog task page shows (agents): the task, its request item's answers (read with
the form version it was ordered with), the approvals record, the other tasks of the item, the
SLA panel, and two timelines: the task's own (work notes, changes) and the requester's
conversation on the item (public replies and state changes).

A public reply written on the task page is posted on the request item, where the requester
reads it and answers; work notes stay on the task.
"""

from __future__ import annotations

from typing import Any

from flask import render_template
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from app.forms import row_id
from app.policy import authorize, can
from app.requests import services
from app.requests.fulfilment.forms import TaskAssignForm, TaskCommentForm, TaskStateForm
from app.requests.models import CatalogTask
from app.requests.states import TASK_TRANSITIONS, TaskState
from app.sla.services import sla_summaries
from app.tickets import pages as ticket_pages
from app.tickets import services as tickets
from app.tickets.matrix import load_matrix


def get_task(number: str, action: str = "catalog_task.view") -> CatalogTask:
    """Load a task by number. :raise NotFound: no such task. :raise Forbidden: ``action``
    is not allowed on it."""
    task = services.task_by_number(number)
    authorize(current_user, action, task)
    return task


def _work_forms(task: CatalogTask, forms: dict[str, Any]) -> dict[str, Any]:
    version = str(task.version)
    assign = forms.get("assign_form") or TaskAssignForm(formdata=None)
    if "assign_form" not in forms:
        assign.group.data = str(task.assignment_group_id or "")
        assign.assignee.data = str(task.assignee_id or "")
    assign.group.choices = ticket_pages.group_choices()
    assign.assignee.choices = ticket_pages.assignee_choices(row_id(assign.group.data))
    state = forms.get("state_form") or TaskStateForm(formdata=None)
    targets = TASK_TRANSITIONS[TaskState(task.state)]
    state.state.choices = [SelectChoice(s.value, _(s.label)) for s in TaskState if s in targets]
    for form in (assign, state):
        form.version.data = version
    return {"assign_form": assign, "state_form": state}


def render_task(
    task: CatalogTask, *, status: int = 200, newest_first: bool = True, **forms: Any
) -> ResponseReturnValue:
    item = task.item
    context: dict[str, Any] = {
        "task": task,
        "item": item,
        "order": item.request,
        "may_work": can(current_user, "catalog_task.work", task),
        "may_reply": can(current_user, "request_item.reply", item),
        "answers": services.answers_of(item),
        "item_status": services.item_status(item),
        "task_timeline": tickets.timeline(task, public_only=False, newest_first=newest_first),
        "item_timeline": tickets.timeline(item, public_only=True, newest_first=newest_first),
        "newest_first": newest_first,
        "slas": sla_summaries([task.id]).get(task.id, []),
        "matrix": load_matrix(),
        "comment_form": forms.get("comment_form") or TaskCommentForm(formdata=None),
    }
    if context["may_work"] and TaskState(task.state).is_open:
        context.update(_work_forms(task, forms))
    return render_template("requests/task.html", **context), status


def latest_change(task: CatalogTask) -> str:
    """Who changed the task last (someone else), for a conflict message."""
    return ticket_pages.latest_change_by_someone_else(task, current_user)
