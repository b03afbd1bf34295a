"""Ordering from the catalog and canceling before fulfilment.

One order is one request (``REQ``) with one request item (``RITM``) per line of the cart, each
keeping its form version and typed answers and snapshots of the item's approval policy and
task template. Every line is checked before anything is written, so a refused order leaves
nothing behind. Services flush; the caller commits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import gettext as _

from app.auth.models import User
from app.errors import Conflict, Forbidden, Invalid
from app.extensions import db
from app.i18n import N_
from app.i18n.stored import stored
from app.requests.approvals.services import cancel_pending, start_approvals
from app.requests.catalog import variables
from app.requests.catalog.services import form_of, may_order
from app.requests.common import lookup, note, open_ticket, set_state
from app.requests.fulfilment.services import rollup_request
from app.requests.models import CatalogItem, FormVersion, RequestItem, ServiceRequest
from app.requests.permissions import may_cancel
from app.requests.states import ItemState, RequestState
from app.tickets import attachments
from app.tickets import services as tickets
from app.tickets.matrix import load_matrix
from app.tickets.models import Channel, TicketKind
from app.timeutils import utc_now

MAX_LINES = 20
IMPACT = URGENCY = 3  # requests start at the matrix's ordinary priority


@dataclass(frozen=True)
class OrderLine:
    """One item of a cart: the raw answers (form strings or typed values; uploads for
    attachment variables) and the form version they answer (default: the current one)."""

    item: CatalogItem
    answers: Mapping[str, Any] = field(default_factory=dict)
    form_version: FormVersion | None = None


@dataclass
class _Checked:
    line: OrderLine
    version: FormVersion
    answers: dict[str, Any]
    uploads: dict[str, Any]


def check_line(line: OrderLine, orderer: User) -> tuple[FormVersion, dict[str, Any], dict]:
    """Whether ``orderer`` may order the line's item, and its answers typed.

    Returns ``(form version, answers, uploads)``.

    :raise Forbidden: the item is inactive or not open to ``orderer``.
    :raise Invalid: answers keyed by variable name; ``form_version`` if it is not the item's.
    """
    item = line.item
    if not may_order(orderer, item):
        raise Forbidden(_("You may not order %(name)s.", name=item.name))
    version = line.form_version or item.form
    if version is None or version.item_id != item.id:
        raise Invalid({"form_version": _("This form does not belong to the item.")})
    try:
        answers, uploads = variables.validate_answers(
            form_of(version), line.answers, lookup, gettext=_
        )
    except variables.AnswersInvalid as error:
        raise Invalid(error.problems, _("Some answers need your attention.")) from None
    return version, answers, uploads


def order(
    *,
    orderer: User,
    requested_for: User | None,
    lines: Sequence[OrderLine],
    note_text: str = "",
    channel: Channel = Channel.PORTAL,
    now: datetime | None = None,
) -> ServiceRequest:
    """Order ``lines`` for ``requested_for`` (oneself or someone else): one ``REQ`` with a
    ``RITM`` per line; each item then waits for its first approval level or, without a
    policy, goes to fulfilment.

    :raise Invalid: no line or too many, nobody (active) to order for, answers that break a
        form (keys ``lines.<i>.<variable>``), a note too long.
    :raise Forbidden: an item the orderer may not order.
    :raise Conflict: a level nobody at all could approve.
    """
    now = now or utc_now()
    if not lines:
        raise Invalid({"lines": _("Choose at least one item to order.")})
    if len(lines) > MAX_LINES:
        raise Invalid(
            {"lines": _("Order at most %(max_lines)s items at once.", max_lines=MAX_LINES)}
        )
    # Every problem at once: whom it is for, the note and each line's answers.
    problems: dict[str, list[str]] = {}
    if requested_for is None or not requested_for.is_active:
        problems["requested_for"] = ["Choose an active person to order for."]
    text = ""
    try:
        text = tickets.checked_text("note", note_text, required=False, limit=4000)
    except Invalid as error:
        problems |= error.field_errors
    checked: list[_Checked] = []
    for index, line in enumerate(lines):
        try:
            checked.append(_Checked(line, *check_line(line, orderer)))
        except Invalid as error:
            problems |= {f"lines.{index}.{k}": v for k, v in error.field_errors.items()}
    if problems:
        raise Invalid(problems, _("Some answers need your attention."))
    priority = load_matrix().priority(IMPACT, URGENCY)
    names = [c.line.item.name for c in checked]
    title = names[0] if len(names) == 1 else f"{names[0]} and {len(names) - 1} more"
    common = {
        "channel": channel,
        "caller_id": requested_for.id,
        "opened_by_id": orderer.id,
        "impact": IMPACT,
        "urgency": URGENCY,
        "priority": priority,
    }
    request = open_ticket(
        ServiceRequest,
        TicketKind.REQUEST,
        orderer,
        now,
        short_description=title[:200],
        description=text,
        state=RequestState.OPEN,
        **common,
    )
    for entry in checked:
        _add_item(request, entry, orderer, common, now)
    return request


def _add_item(
    request: ServiceRequest, entry: _Checked, orderer: User, common: dict, now: datetime
) -> RequestItem:
    catalog_item = entry.line.item
    plan = list(catalog_item.task_template or ())
    if not plan and catalog_item.automation is None:  # never delivered without anyone acting
        plan = [{"stage": 1, "name": f"Fulfil {catalog_item.name}"}]
    item = open_ticket(
        RequestItem,
        TicketKind.REQUEST_ITEM,
        orderer,
        now,
        short_description=catalog_item.name[:200],
        description="",
        state=ItemState.PENDING_APPROVAL,
        assignment_group_id=catalog_item.fulfilment_group_id,
        request=request,
        catalog_item=catalog_item,
        form_version=entry.version,
        answers=dict(entry.answers),
        approval_plan=list(catalog_item.approval_policy or ()),
        task_plan=plan,
        **common,
    )
    for name, upload in entry.uploads.items():
        stored = attachments.store(item, upload, uploader=orderer, internal=False)
        item.answers = {**item.answers, name: {"id": stored.id, "label": stored.filename}}
    tickets.record_event(
        item,
        "assigned",
        orderer,
        at=now,
        group_id=catalog_item.fulfilment_group_id,
        assignee_id=None,
    )
    start_approvals(item, orderer, now)
    db.session.flush()
    return item


# -- canceling ------------------------------------------------------------------------------


def cancel_item(
    item: RequestItem, *, actor: User, reason: str = "", now: datetime | None = None
) -> None:
    """Cancel an item that still waits for approval (its approvals are withdrawn).

    :raise Forbidden: ``actor`` did not order it and it is not for them.
    :raise Conflict: fulfilment has started, or the item is closed already.
    :raise Invalid: a reason too long.
    """
    now = now or utc_now()
    if not may_cancel(actor, item):
        raise Forbidden(_("Only the person who ordered it, or the person it is for, can cancel."))
    if item.state != ItemState.PENDING_APPROVAL:
        state = "being delivered" if item.state == ItemState.IN_PROGRESS else "closed"
        raise Conflict(
            _(
                "%(number)s can no longer be canceled: it is %(state)s.",
                number=item.number,
                state=state,
            )
        )
    text = tickets.checked_text("reason", reason, required=False, limit=2000)
    withdrawn = cancel_pending(item)
    item.close_notes = text or None
    body = (
        stored(N_("Canceled by %(name)s. %(reason)s"), name=actor.display_name, reason=text)
        if text
        else stored(N_("Canceled by %(name)s."), name=actor.display_name)
    )
    set_state(item, ItemState.CANCELED, actor, now, body=body, withdrawn=withdrawn)
    db.session.flush()
    rollup_request(item.request, actor, now)


def cancel_request(
    request: ServiceRequest, *, actor: User, reason: str = "", now: datetime | None = None
) -> list[str]:
    """Cancel every open item of the request (all or none); returns their numbers.

    :raise Forbidden: ``actor`` did not order it and it is not for them.
    :raise Conflict: an item is being delivered already (listed), or nothing is open.
    :raise Invalid: a reason too long.
    """
    now = now or utc_now()
    if not may_cancel(actor, request):
        raise Forbidden(_("Only the person who ordered it, or the person it is for, can cancel."))
    tickets.checked_text("reason", reason, required=False, limit=2000)
    started = [i.number for i in request.items if i.state == ItemState.IN_PROGRESS]
    if started:
        raise Conflict(
            _(
                "%(number)s can no longer be canceled: %(items)s is being delivered. Nothing was "
                "canceled.",
                number=request.number,
                items=", ".join(started),
            )
        )
    waiting = [i for i in request.items if i.state == ItemState.PENDING_APPROVAL]
    if not waiting:
        raise Conflict(_("%(number)s has nothing left to cancel.", number=request.number))
    for item in waiting:
        cancel_item(item, actor=actor, reason=reason, now=now)
    if request.state == RequestState.CANCELED and reason:
        note(request, actor, reason, now)
    return [i.number for i in waiting]
