"""What the requester reads: each item's state in plain words, its answers, and the lists of
one's requests and the approvals waiting for one. Reads only; no writes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.errors import NotFound
from app.extensions import db
from app.i18n.locale import current_language
from app.policy import can
from app.requests.approvals.rules import GroupRule
from app.requests.catalog import variables
from app.requests.catalog.services import form_of
from app.requests.models import Approval, RequestItem, ServiceRequest
from app.requests.permissions import visible_requests
from app.requests.states import CloseCode, ItemState
from app.tickets.models import TicketKind

MANY = 3  # more approvers than this are summed up ("Ann Smith, Bob Jones and 4 others")


def _names(names: list[str], everyone: bool) -> str:
    """The names as a list in the page's language: "Ann, Bob and Eve" when everyone must
    approve, "Ann, Bob or Eve" when one is enough."""
    if len(names) > MANY:
        others = len(names) - 2
        names = names[:2] + [ngettext("%(num)d other", "%(num)d others", others)]
    if len(names) <= 1:
        return "".join(names)
    first, last = ", ".join(names[:-1]), names[-1]
    if everyone:
        return _("%(first)s and %(last)s", first=first, last=last)
    return _("%(first)s or %(last)s", first=first, last=last)


def item_status(item: RequestItem) -> str:
    """The item's state in plain words: "Waiting for approval by Ann Smith", "In progress",
    "Delivered", "Rejected: <reason>", "Canceled", "Closed without delivery"."""
    state = ItemState(item.state)
    if state == ItemState.PENDING_APPROVAL:
        waiting = item.waiting_approvals
        if not waiting:
            return _("Waiting for approval")
        everyone = waiting[0].rule == GroupRule.EVERYONE
        names = _names([a.approver.display_name for a in waiting], everyone)
        return _("Waiting for approval by %(names)s", names=names)
    if state == ItemState.IN_PROGRESS:
        return _("In progress")
    if state == ItemState.CANCELED:
        return _("Canceled")
    if item.close_code == CloseCode.COMPLETE:
        return _("Delivered")
    if item.close_code == CloseCode.REJECTED:
        return _("Rejected: %(reason)s", reason=item.close_notes or _("no reason given"))
    if item.close_notes:
        return _("Closed without delivery: %(notes)s", notes=item.close_notes)
    return _("Closed without delivery")


@dataclass(frozen=True)
class ItemView:
    """One item as its requester sees it."""

    item: RequestItem
    status: str
    answers: list[tuple[str, str]]
    can_cancel: bool


def answers_of(item: RequestItem) -> list[tuple[str, str]]:
    """``(label, text)`` of the item's answers, read with the form version it was ordered
    with (so a later change of the form never hides or garbles them)."""
    return variables.describe_answers(
        form_of(item.form_version), item.answers or {}, current_language(), gettext=_
    )


def request_view(request: ServiceRequest) -> list[ItemView]:
    """Every item of a request, with its state in plain words and its answers (a constant
    number of queries whatever the number of items)."""
    items = list(
        db.session.scalars(
            select(RequestItem)
            .where(RequestItem.request_id == request.id)
            .options(
                selectinload(RequestItem.approvals).joinedload(Approval.approver),
                selectinload(RequestItem.form_version),
            )
            .order_by(RequestItem.id)
        )
    )
    return [
        ItemView(i, item_status(i), answers_of(i), i.state == ItemState.PENDING_APPROVAL)
        for i in items
    ]


def visible_request(user: Any, number: str) -> ServiceRequest:
    """A request by number (an item's number leads to its request), for the pages and the API.

    :raise NotFound: no such request, or one ``user`` may not see (its existence is not told).
    """
    number = number.strip().upper()[:20]
    found = db.session.scalar(select(ServiceRequest).where(ServiceRequest.number == number))
    if found is None and number.startswith(TicketKind.REQUEST_ITEM.prefix):
        item = db.session.scalar(select(RequestItem).where(RequestItem.number == number))
        found = item.request if item is not None else None
    if found is None or not can(user, "request.view", found):
        raise NotFound(_("There is no request with this number that you can see."))
    return found


def visible_item_views(user: Any, request: ServiceRequest) -> list[ItemView]:
    """The request's items as ``user`` sees them (an approver who is not a party sees only
    the items they approve)."""
    return [v for v in request_view(request) if can(user, "request_item.view", v.item)]


def my_requests(user: Any, *, open_only: bool = False, limit: int = 100) -> list[ServiceRequest]:
    """The requests ``user`` ordered or that are for them (newest first), with their items."""
    query = visible_requests(user, select(ServiceRequest), own_only=True)
    if open_only:
        query = query.where(ServiceRequest.state == "open")
    query = query.options(
        selectinload(ServiceRequest.items)
        .selectinload(RequestItem.approvals)
        .joinedload(Approval.approver)
    )
    return list(
        db.session.scalars(query.order_by(ServiceRequest.opened_at.desc()).limit(limit)).unique()
    )


def my_request_counts(user: Any) -> dict[str, int]:
    """How many of the requests ``user`` ordered or that are for them are in each state
    (``open``, ``closed``, ``canceled``), so a list of the open ones can say what it leaves
    out."""
    query = visible_requests(
        user,
        select(ServiceRequest.state, func.count(ServiceRequest.id)).group_by(ServiceRequest.state),
        own_only=True,
    )
    return {str(state): count for state, count in db.session.execute(query)}
