"""The catalog task page (agents): assign, work through the lifecycle (start, hold, resume,
close complete / incomplete / skipped), work notes and public replies to the requester.
Closing the last task delivers the item. A save on a stale page is refused (409). Tasks are
listed in the agent console with incidents (``app.incidents.filters``). Routes belong to the
``requests`` blueprint."""

from __future__ import annotations

from typing import Any

from flask import request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.models import Group, User
from app.errors import Conflict, Invalid
from app.extensions import db
from app.forms import refused, row_id, saved
from app.policy import authorize, require
from app.requests import services
from app.requests.fulfilment.forms import TaskAssignForm, TaskCommentForm, TaskStateForm
from app.requests.fulfilment.pages import get_task, latest_change, render_task
from app.requests.models import CatalogTask
from app.requests.states import ItemState, TaskState
from app.requests.views import bp


def _by_id(model: Any, value: str | None) -> Any:
    ident = row_id(value)
    return db.session.get(model, ident) if ident is not None else None


def _done(task: CatalogTask, message: str) -> ResponseReturnValue:
    item = task.item
    if item.state != ItemState.IN_PROGRESS:
        message += f" {item.number}: {services.item_status(item)}."
    return saved(message, url_for("requests.task", number=task.number))


def _refused(
    number: str, error: Invalid | Conflict, form: Any, form_name: str
) -> ResponseReturnValue:
    def render(task: CatalogTask, status: int) -> ResponseReturnValue:
        entered = {form_name: form} if status == Invalid.status else {}
        return render_task(task, status=status, **entered)

    return refused(error, lambda: get_task(number), render, form, conflict_note=latest_change)


@bp.get("/tasks/<number>")
@require("catalog_task.view")
def task(number: str) -> ResponseReturnValue:
    return render_task(get_task(number), newest_first=request.args.get("order") != "oldest")


@bp.post("/tasks/<number>/assign")
@require("catalog_task.view")
def task_assign(number: str) -> ResponseReturnValue:
    task = get_task(number, "catalog_task.work")
    form = TaskAssignForm()
    if not form.validate_on_submit():
        return render_task(task, status=422, assign_form=form)
    try:
        services.assign_task(
            task,
            group=_by_id(Group, form.group.data),
            assignee=_by_id(User, form.assignee.data),
            actor=current_user,
            expected_version=form.version.data,
        )
    except (Invalid, Conflict) as error:
        return _refused(number, error, form, "assign_form")
    return _done(task, "Assignment saved.")


@bp.post("/tasks/<number>/state")
@require("catalog_task.view")
def task_state(number: str) -> ResponseReturnValue:
    task = get_task(number, "catalog_task.work")
    form = TaskStateForm()
    if not form.validate_on_submit():
        return render_task(task, status=422, state_form=form)
    target = TaskState(form.state.data)
    try:
        services.change_task_state(
            task,
            target,
            actor=current_user,
            hold_reason=form.hold_reason.data or None,
            close_code=form.close_code.data or None,
            close_notes=form.close_notes.data or None,
            expected_version=form.version.data,
        )
    except (Invalid, Conflict) as error:
        return _refused(number, error, form, "state_form")
    return _done(
        task, _("%(number)s is now %(state)s.", number=task.number, state=_(target.label).lower())
    )


@bp.post("/tasks/<number>/comment")
@require("catalog_task.view")
def task_comment(number: str) -> ResponseReturnValue:
    task = get_task(number)
    form = TaskCommentForm()
    if not form.validate_on_submit():
        return render_task(task, status=422, comment_form=form)
    public = bool(form.public.data)
    if public:
        authorize(current_user, "request_item.reply", task.item)
    else:
        authorize(current_user, "catalog_task.work", task)
    try:
        services.reply_on_task(task, author=current_user, body=form.body.data, public=public)
    except Invalid as error:
        return _refused(number, error, form, "comment_form")
    sent = (
        f"Reply posted on {task.item.number} for the requester." if public else "Work note added."
    )
    return _done(task, sent)
