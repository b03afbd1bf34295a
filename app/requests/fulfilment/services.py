"""Fulfilment: tasks from the item's plan, stage by stage; the task lifecycle; items and
requests closing when their work is done; the automated directory-group change.

Every change writes its journal entry and its domain event (``created``, ``assigned``,
``state_changed``, ``commented``: the vocabulary the SLA clock reads) in the same transaction.
Services flush; the caller commits.

The directory change of an automated item is a side effect: the approval only records it in
the outbox (:mod:`app.outbox`), and :func:`finish_directory_group` makes it after the approval
has committed, then records the directory's answer (delivered, or a task for a person) in its
own transaction. A rolled-back approval never touches the directory.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from app.auth.models import Group, User
from app.errors import Conflict, Invalid, NotFound, check_version
from app.extensions import db
from app.i18n import N_
from app.i18n.locale import default_language
from app.i18n.stored import english, render, stored
from app.outbox import enqueue, handler
from app.requests.common import MAX_TEXT, is_staff, note, open_ticket, set_state
from app.requests.fulfilment import stages
from app.requests.models import Automation, CatalogTask, RequestItem, ServiceRequest
from app.requests.states import CloseCode, ItemState, RequestState, TaskState
from app.requests.states import task_transition_problems as transition_problems
from app.tickets import services as tickets
from app.tickets.holds import HoldReason
from app.tickets.models import EntryKind, Ticket, TicketKind
from app.timeutils import utc_now

log = logging.getLogger(__name__)

AUTOMATION_STAGE = 0
DIRECTORY_GROUP_CHANGE = "requests.directory_group"  # the outbox kind


class AutomationFailed(Exception):
    """An automated fulfilment did not happen; ``message`` says why, for a person: a stored
    message (:mod:`app.i18n.stored`) or a text (the directory's own words); ``str(error)`` is
    its English."""

    def __init__(self, message: str | dict[str, Any]) -> None:
        super().__init__(english(message))
        self.message = message


# -- closing items and requests -------------------------------------------------------------


def _item_end(item: RequestItem) -> stages.ItemEnd:
    if item.state == ItemState.CANCELED:
        return stages.ItemEnd.CANCELED
    if item.state != ItemState.CLOSED:
        return stages.ItemEnd.OPEN
    if item.close_code == CloseCode.COMPLETE:
        return stages.ItemEnd.DELIVERED
    return stages.ItemEnd.NOT_DELIVERED


def rollup_request(request: ServiceRequest, actor: Any, now: datetime) -> None:
    """Close (or cancel) the request once every one of its items is done."""
    if request.state != RequestState.OPEN:
        return
    outcome = stages.request_outcome([_item_end(i) for i in request.items])
    if outcome == stages.ItemEnd.OPEN:
        return
    if outcome == stages.ItemEnd.CANCELED:
        set_state(
            request, RequestState.CANCELED, actor, now, body=stored(N_("Every item was canceled."))
        )
        return
    code = CloseCode.COMPLETE if outcome == stages.ItemEnd.DELIVERED else CloseCode.INCOMPLETE
    request.close_code = code
    set_state(request, RequestState.CLOSED, actor, now, close_code=code.value)


def close_item(
    item: RequestItem, code: CloseCode, actor: Any, now: datetime, *, notes: str | None = None
) -> None:
    """Close an open item with ``code`` (complete, incomplete, rejected), then its request
    when it was the last open item."""
    item.close_code = code
    item.close_notes = notes
    if code == CloseCode.COMPLETE:
        item.resolved_at = now
    if code == CloseCode.COMPLETE:
        body = stored(N_("Delivered."))
    elif code == CloseCode.REJECTED:
        body = stored(N_("Rejected: %(reason)s"), reason=notes)
    elif notes:
        body = stored(N_("Closed without delivery. %(notes)s"), notes=notes)
    else:
        body = stored(N_("Closed without delivery."))
    set_state(item, ItemState.CLOSED, actor, now, body=body, close_code=code.value)
    db.session.flush()
    rollup_request(item.request, actor, now)


# -- tasks and stages -----------------------------------------------------------------------


def _specs(item: RequestItem) -> list[stages.TaskSpec]:
    """The item's task plan (a snapshot checked when the catalog item was saved)."""
    return [
        stages.TaskSpec(
            int(t["stage"]), str(t["name"]), t.get("group_id"), t.get("description", "")
        )
        for t in item.task_plan or ()
    ]


def _status(task: CatalogTask) -> stages.TaskStatus:
    if task.state == TaskState.CANCELED:
        return stages.TaskStatus.CANCELED
    if task.state != TaskState.CLOSED:
        return stages.TaskStatus.OPEN
    return stages.TaskStatus(task.close_code.value if task.close_code else "complete")


def create_task(
    item: RequestItem,
    *,
    stage: int,
    name: str,
    group: Group,
    description: str,
    actor: Any,
    now: datetime,
) -> CatalogTask:
    """Open one fulfilment task of ``item`` for ``group`` (events ``created``, ``assigned``)."""
    task = open_ticket(
        CatalogTask,
        TicketKind.CATALOG_TASK,
        actor,
        now,
        short_description=name[:200],
        description=description,
        state=TaskState.NEW,
        channel=item.channel,
        caller_id=item.caller_id,
        opened_by_id=None,
        assignment_group_id=group.id,
        impact=item.impact,
        urgency=item.urgency,
        priority=item.priority,
        item=item,
        stage=stage,
    )
    tickets.record_event(task, "assigned", actor, at=now, group_id=group.id, assignee_id=None)
    note(
        item,
        actor,
        stored(
            N_("Task %(task)s for %(group)s: %(summary)s"),
            task=task.number,
            group=group.name,
            summary=task.short_description,
        ),
        now,
        task=[None, task.number],
    )
    return task


def advance(item: RequestItem, actor: Any, now: datetime) -> None:
    """Start the next stage's tasks when the current stage is done, or close the item when its
    plan is (delivered, or not when a task ended incomplete)."""
    if item.state != ItemState.IN_PROGRESS:
        return
    specs = _specs(item)
    step = stages.next_step(
        [s.stage for s in specs],
        [(t.stage, _status(t)) for t in item.tasks],
        started=item.fulfilment_stage,
    )
    if isinstance(step, stages.Finish):
        if step.complete:
            close_item(item, CloseCode.COMPLETE, actor, now)
        else:
            close_item(
                item, CloseCode.INCOMPLETE, actor, now, notes="A fulfilment task was not completed."
            )
        return
    if step.stage is None:
        return
    fulfilment_group = item.catalog_item.fulfilment_group
    for spec in specs:
        if spec.stage == step.stage:
            group = db.session.get(Group, spec.group_id) if spec.group_id else None
            create_task(
                item,
                stage=spec.stage,
                name=spec.name,
                group=group or fulfilment_group,
                description=spec.description,
                actor=actor,
                now=now,
            )
    item.fulfilment_stage = step.stage
    db.session.flush()
    db.session.expire(item, ["tasks"])


def begin_fulfilment(item: RequestItem, actor: Any, now: datetime) -> None:
    """The item is approved (or needs no approval): queue its automation (its plan starts
    once the directory has answered, see :func:`finish_directory_group`), or run its plan."""
    set_state(
        item, ItemState.IN_PROGRESS, actor, now, body=stored(N_("Approved: the work starts."))
    )
    if item.catalog_item.automation == Automation.DIRECTORY_GROUP:
        try:
            group_dn, member_dn = directory_change_of(item)
        except AutomationFailed as error:
            _automation_failed(item, error.message, actor, now)
            return
        enqueue(
            DIRECTORY_GROUP_CHANGE,
            {
                "item_id": item.id,
                "group_dn": group_dn,
                "member_dn": member_dn,
                "actor_id": getattr(actor, "id", None),
            },
        )
        return
    advance(item, actor, now)


@handler(DIRECTORY_GROUP_CHANGE)
def finish_directory_group(payload: dict[str, Any]) -> None:
    """The outbox handler: add the member in the directory, then record the answer on the
    item and start its plan, or leave the change to a person. Running it again for an item
    whose automation is already recorded (or that was canceled meanwhile) does nothing."""
    item = db.session.get(RequestItem, payload["item_id"])
    if item is None or item.state != ItemState.IN_PROGRESS or item.fulfilment_stage is not None:
        log.info("directory change for item %s: nothing left to do", payload["item_id"])
        return
    actor = db.session.get(User, payload["actor_id"]) if payload.get("actor_id") else None
    now = utc_now()
    try:
        message = add_directory_member(payload["group_dn"], payload["member_dn"])
    except AutomationFailed as error:
        _automation_failed(item, error.message, actor, now)
        return
    note(item, None, message, now, automation=[None, "done"])
    tickets.record_event(item, "automation_succeeded", None, at=now, message=english(message))
    advance(item, actor, now)


def _automation_failed(
    item: RequestItem, error: str | dict[str, Any], actor: Any, now: datetime
) -> None:
    """Leave the change to a person: a task first in line, carrying the error (a stored
    message or the directory's text)."""
    tickets.record_event(item, "automation_failed", None, at=now, error=english(error))
    failed = stored(N_("The automatic change failed: %(error)s"), error=error)
    note(item, None, failed, now, automation=[None, "failed"])
    # The task's text is written once and read by every agent: in the desk's language.
    with force_locale(default_language()):
        name = _("Add %(person)s to the directory group by hand", person=item.caller.display_name)
        description = _(
            "The automatic change failed, so it is yours to make.\n\nError: %(error)s",
            error=render(error, _),
        )
    task = create_task(
        item,
        stage=AUTOMATION_STAGE,
        name=name,
        group=item.catalog_item.fulfilment_group,
        description=description,
        actor=actor,
        now=now,
    )
    body = stored(N_("Automation error: %(error)s"), error=error)
    tickets.add_entry(task, EntryKind.WORK_NOTE, None, body=body, at=now)
    item.fulfilment_stage = AUTOMATION_STAGE
    db.session.flush()
    db.session.expire(item, ["tasks"])


def directory_group_of(item: RequestItem) -> Group | None:
    """The group a "directory_group" item adds to: the item's fixed group, else the group
    named by the answer to the form's ``directory_group`` choice.

    :raise AutomationFailed: the answer names a group the desk does not know.
    """
    if item.catalog_item.automation_group is not None:
        return item.catalog_item.automation_group
    name = (item.answers or {}).get("directory_group")
    if not isinstance(name, str) or not name:
        return None
    group = db.session.scalar(select(Group).where(Group.name == name))
    if group is None:
        raise AutomationFailed(
            stored(
                N_("No group named “%(name)s” is known to the desk: sync it from the directory."),
                name=name,
            )
        )
    return group


def directory_change_of(item: RequestItem) -> tuple[str, str]:
    """The directory group and member DNs the item's automation changes.

    :raise AutomationFailed: no group, or the group or the person has no directory entry (the
        message says which).
    """
    group = directory_group_of(item)
    person: User = item.caller
    if group is None:
        raise AutomationFailed(stored(N_("The request names no directory group.")))
    if not group.directory_dn:
        raise AutomationFailed(
            stored(N_("The group %(name)s does not come from the directory."), name=group.name)
        )
    if not person.directory_dn:
        raise AutomationFailed(
            stored(N_("%(name)s has no entry in the directory."), name=person.display_name)
        )
    return group.directory_dn, person.directory_dn


def add_directory_member(group_dn: str, member_dn: str) -> dict[str, Any]:
    """The seam to :mod:`app.auth.directory.write` (imported here, when it is needed): what
    the directory did, as a stored message."""
    from app.auth.directory.write import DirectoryWriteError, add_group_member

    try:
        return add_group_member(current_app.config, group_dn, member_dn).stored_message
    except DirectoryWriteError as error:
        raise AutomationFailed(error.text) from None


# -- working tasks --------------------------------------------------------------------------


def task_by_number(number: str) -> CatalogTask:
    """:raise NotFound: no catalog task has this number."""
    task = db.session.scalar(select(CatalogTask).where(CatalogTask.number == number.upper()[:20]))
    if task is None:
        raise NotFound(_("There is no catalog task with this number."))
    return task


def _open_task(task: CatalogTask, expected_version: Any) -> None:
    check_version(task, expected_version, f"Task {task.number}")
    if not TaskState(task.state).is_open:
        raise Conflict(
            _(
                "Task %(number)s is %(lower)s.",
                number=task.number,
                lower=_(TaskState(task.state).label).lower(),
            )
        )


def assign_task(
    task: CatalogTask,
    *,
    group: Group | None,
    assignee: User | None,
    actor: User,
    expected_version: Any = None,
    now: datetime | None = None,
) -> dict[str, list[Any]]:
    """Assign an open task to a group and optionally a person in it (moving groups counts a
    reassignment); event ``assigned``.

    :raise Invalid: no group, not an assignment group, or the person is not in it.
    :raise Conflict: stale version, or the task is closed.
    """
    _open_task(task, expected_version)
    now = now or utc_now()
    if group is None:
        raise Invalid({"group": _("Choose an assignment group.")})
    return tickets.assign(task, group=group, assignee=assignee, actor=actor, now=now)


def change_task_state(
    task: CatalogTask,
    target: TaskState,
    *,
    actor: Any,
    hold_reason: str | None = None,
    close_code: str | None = None,
    close_notes: str | None = None,
    expected_version: Any = None,
    now: datetime | None = None,
) -> None:
    """Work a task through its lifecycle (see ``states``); closing the last task of a stage
    starts the next stage, and closing the last task delivers the item.

    :raise Invalid: the move is not allowed or lacks a hold reason / close code / notes.
    :raise Conflict: stale version, or the task is no longer open.
    """
    _open_task(task, expected_version)
    now = now or utc_now()
    if hold_reason and hold_reason not in {r.value for r in HoldReason}:
        raise Invalid({"hold_reason": _("Choose what the task is waiting for from the list.")})
    problems = transition_problems(
        TaskState(task.state),
        target,
        hold_reason=hold_reason,
        close_code=close_code,
        close_notes=close_notes,
        gettext=_,
    )
    if problems:
        raise Invalid(problems)
    notes = tickets.checked_text("close_notes", close_notes, required=False, limit=MAX_TEXT) or None
    reason = HoldReason(hold_reason) if target == TaskState.ON_HOLD and hold_reason else None
    task.hold_reason = reason
    if target == TaskState.IN_PROGRESS and is_staff(actor) and task.first_response_at is None:
        task.first_response_at = now
    data: dict[str, Any] = {"hold_reason": reason.value if reason else None}
    if target == TaskState.CLOSED:
        task.close_code, task.close_notes, task.resolved_at = CloseCode(close_code), notes, now
        data["close_code"] = close_code
    set_state(task, target, actor, now, body=notes or "", **data)
    db.session.flush()
    if target == TaskState.CLOSED:
        advance(task.item, actor, now)


def comment(
    ticket: Ticket, *, author: User, body: str, public: bool, now: datetime | None = None
) -> Any:
    """A public reply or an internal work note on a request item or task (event
    ``commented``). IT staff's first public reply is the ticket's first response; the
    requester's reply flags the ticket for the agents.

    :raise Invalid: an empty or oversized text.
    """
    text = tickets.checked_text("body", body, required=True, limit=MAX_TEXT)
    now = now or utc_now()
    kind = EntryKind.REPLY if public else EntryKind.WORK_NOTE
    entry = tickets.add_entry(ticket, kind, author, body=text, at=now)
    db.session.flush()
    by_caller = not is_staff(author) or author.id == ticket.caller_id
    tickets.record_event(
        ticket, "commented", author, at=now, entry_id=entry.id, public=public, by_caller=by_caller
    )
    if public and not by_caller and ticket.first_response_at is None:
        ticket.first_response_at = now
    if public:
        ticket.caller_replied_at = now if by_caller else None
    db.session.flush()
    return entry


def reply_on_task(
    task: CatalogTask, *, author: User, body: str, public: bool, now: datetime | None = None
) -> Any:
    """A work note on the task, or a public reply on its request item (the requester's
    timeline: the requester never sees tasks). :raise Invalid: empty or oversized text."""
    target: Ticket = task.item if public else task
    return comment(target, author=author, body=body, public=public, now=now)
