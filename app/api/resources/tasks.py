"""``/api/v1/tasks``: catalog tasks for IT staff: list, read, assign, work through the
lifecycle, work notes and public replies to the requester.

As on the task page: every agent reads tasks; only agents of the task's group (and
administrators) assign and move them (403 otherwise); a move the lifecycle does not allow is a
422 per field; a change on a stale ``If-Match`` is a 412. Closing the last task delivers the
item (``app.requests.fulfilment``).
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import Response
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from app.api import etags, scopes
from app.api.auth import operation
from app.api.pagination import PageArgs, page_of
from app.api.resources.common import (
    INT_ID,
    EntrySchema,
    TicketSchema,
    entry,
    respond,
    ticket_fields,
)
from app.api.schemas import Input, page_schema
from app.api.spec import Blueprint
from app.auth.models import Group, User
from app.extensions import db
from app.policy import authorize
from app.requests import services
from app.requests.models import CatalogTask, RequestItem
from app.requests.permissions import visible_tasks
from app.requests.states import TASK_CLOSE_CODES, TaskState
from app.tickets.holds import HoldReason

AREA = scopes.add_area("tasks", "Catalog tasks: list, read, assign, work, comment")
READ, WRITE = f"{AREA}:read", f"{AREA}:write"

blp = Blueprint("tasks_api", __name__, description="Catalog tasks: fulfilment work for IT staff.")


class TaskSchema(TicketSchema):
    item = ma.fields.String(required=True, metadata={"description": "The request item's number"})
    request = ma.fields.String(required=True)
    catalog_item = ma.fields.String(required=True)
    stage = ma.fields.Integer(required=True)
    description = ma.fields.String(required=True)
    hold_reason = ma.fields.String(allow_none=True)
    close_code = ma.fields.String(allow_none=True)
    close_notes = ma.fields.String(allow_none=True)
    answers = ma.fields.List(
        ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String()),
        required=True,
        metadata={"description": "The item's answers: label and text"},
    )


TaskPage = page_schema(TaskSchema, "TaskPage")


class TaskFilters(PageArgs, Input):
    state = ma.fields.List(
        ma.fields.String(validate=ma.validate.OneOf([s.value for s in TaskState])),
        load_default=list,
    )
    group = ma.fields.Integer(validate=INT_ID)
    assignee = ma.fields.Integer(validate=INT_ID)
    item = ma.fields.String(
        validate=ma.validate.Length(min=1, max=20), metadata={"description": "A RITM number"}
    )


class TaskAssignInput(Input):
    group = ma.fields.Integer(required=True, validate=INT_ID)
    assignee = ma.fields.Integer(allow_none=True, validate=INT_ID)


class TaskStateInput(Input):
    state = ma.fields.String(
        required=True,
        validate=ma.validate.OneOf([s.value for s in TaskState if s != TaskState.CANCELED]),
    )
    hold_reason = ma.fields.String(
        allow_none=True, validate=ma.validate.OneOf([r.value for r in HoldReason])
    )
    close_code = ma.fields.String(
        allow_none=True, validate=ma.validate.OneOf([c.value for c in TASK_CLOSE_CODES])
    )
    close_notes = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=20_000))


class TaskCommentInput(Input):
    body = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=20_000))
    public = ma.fields.Boolean(
        load_default=False,
        metadata={"description": "true: a reply to the requester on the item; false: a work note"},
    )


def dump(task: CatalogTask) -> dict[str, Any]:
    item = task.item
    return {
        **ticket_fields(task),
        "item": item.number,
        "request": item.request.number,
        "catalog_item": item.catalog_item.name,
        "stage": task.stage,
        "description": task.description,
        "hold_reason": task.hold_reason.value if task.hold_reason else None,
        "close_code": task.close_code.value if task.close_code else None,
        "close_notes": task.close_notes,
        "answers": [{"label": label, "text": text} for label, text in services.answers_of(item)],
    }


def get_task(number: str, action: str = "catalog_task.view") -> CatalogTask:
    task = services.task_by_number(number)
    authorize(current_user, action, task)
    return task


def _respond(task: CatalogTask) -> Response:
    return respond(TaskSchema(), dump(task), task, "task")


def _by_id(model: Any, ident: int | None) -> Any:
    return db.session.get(model, ident) if ident is not None else None


@blp.route("/tasks", methods=["GET"])
@operation("catalog_task.view", READ)
@blp.arguments(TaskFilters, location="query", as_kwargs=True)
@blp.response(200, TaskPage)
def list_tasks(
    cursor: str | None,
    limit: int,
    state: list[str],
    group: int | None = None,
    assignee: int | None = None,
    item: str | None = None,
) -> Any:
    """List catalog tasks, oldest first (IT staff)."""
    query = visible_tasks(current_user, select(CatalogTask))
    if state:
        query = query.where(CatalogTask.state.in_(state))
    if group is not None:
        query = query.where(CatalogTask.assignment_group_id == group)
    if assignee is not None:
        query = query.where(CatalogTask.assignee_id == assignee)
    if item is not None:
        ids = select(RequestItem.id).where(RequestItem.number == item.upper())
        query = query.where(CatalogTask.item_id.in_(ids))
    query = query.order_by(CatalogTask.opened_at, CatalogTask.id).options(
        joinedload(CatalogTask.opened_by),
        selectinload(CatalogTask.item).options(
            selectinload(RequestItem.request), selectinload(RequestItem.form_version)
        ),
    )
    page = page_of(query, cursor, limit)
    return {"items": [dump(t) for t in page.items], "next_cursor": page.next_cursor}


@blp.route("/tasks/<number>", methods=["GET"])
@operation("catalog_task.view", READ)
@blp.response(200, TaskSchema, headers={"ETag": {"schema": {"type": "string"}}})
def read_task(number: str) -> Any:
    """Read a catalog task with its item's answers."""
    return _respond(get_task(number))


@blp.route("/tasks/<number>/assignment", methods=["PUT"])
@operation("catalog_task.view", WRITE)
@blp.arguments(TaskAssignInput)
@blp.response(200, TaskSchema, headers={"ETag": {"schema": {"type": "string"}}})
def assign(body: dict[str, Any], number: str) -> Any:
    """Assign the task to a group and optionally a person in it. Needs ``If-Match``."""
    task = get_task(number, "catalog_task.work")
    version = etags.check_if_match(task, "task")
    services.assign_task(
        task,
        group=_by_id(Group, body["group"]),
        assignee=_by_id(User, body.get("assignee")),
        actor=current_user,
        expected_version=version,
    )
    db.session.commit()
    return _respond(task)


@blp.route("/tasks/<number>/state", methods=["PUT"])
@operation("catalog_task.view", WRITE)
@blp.arguments(TaskStateInput)
@blp.response(200, TaskSchema, headers={"ETag": {"schema": {"type": "string"}}})
def change_state(body: dict[str, Any], number: str) -> Any:
    """Start, hold (with a reason), resume or close (complete, incomplete with notes, skipped)
    the task; closing the last one delivers the item. Needs ``If-Match``."""
    task = get_task(number, "catalog_task.work")
    version = etags.check_if_match(task, "task")
    services.change_task_state(
        task,
        TaskState(body["state"]),
        actor=current_user,
        hold_reason=body.get("hold_reason"),
        close_code=body.get("close_code"),
        close_notes=body.get("close_notes"),
        expected_version=version,
    )
    db.session.commit()
    return _respond(task)


@blp.route("/tasks/<number>/comments", methods=["POST"])
@operation("catalog_task.view", WRITE)
@blp.arguments(TaskCommentInput)
@blp.response(201, EntrySchema)
def comment(body: dict[str, Any], number: str) -> Any:
    """A work note on the task (agents of its group), or a public reply on its item for the
    requester (``public``). Comments only add, so they need no ``If-Match``."""
    task = get_task(number)
    if body["public"]:
        authorize(current_user, "request_item.reply", task.item)
    else:
        authorize(current_user, "catalog_task.work", task)
    written = services.reply_on_task(
        task, author=current_user, body=body["body"], public=body["public"]
    )
    db.session.commit()
    return entry(written, task.item if body["public"] else task), 201
