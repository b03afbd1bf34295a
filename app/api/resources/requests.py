"""``/api/v1/requests`` and ``/api/v1/request-items``: what a person ordered, ordering from the
catalog, canceling and replying.

Everything goes through the request services the portal pages call
(``app.requests.services``): a request or item the caller may not see is a 404, as in the
pages; an item not open to the caller is a 403; an order is checked whole before anything is
written. Lists are narrowed by the same visibility queries as the portal and the console.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import Response, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import Select, select
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
from app.errors import NotFound
from app.extensions import db
from app.policy import authorize, can
from app.requests import services
from app.requests.common import active_user
from app.requests.models import Approval, RequestItem, ServiceRequest
from app.requests.permissions import visible_items, visible_requests
from app.requests.states import ApprovalState, ItemState, RequestState
from app.tickets.models import Channel

AREA = scopes.add_area("requests", "Service requests: list, read, order, cancel, reply")
READ, WRITE = f"{AREA}:read", f"{AREA}:write"

blp = Blueprint(
    "requests_api",
    __name__,
    description="Service requests and their items: what was ordered, ordering, canceling.",
)

SORTS = {
    "opened": ServiceRequest.opened_at,
    "number": ServiceRequest.number,
}


class CatalogItemRef(ma.Schema):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)


class AnswerSchema(ma.Schema):
    label = ma.fields.String(required=True)
    text = ma.fields.String(required=True)


class ApprovalRef(ma.Schema):
    id = ma.fields.Integer(required=True)
    level = ma.fields.Integer(required=True)
    approver = ma.fields.String(required=True, metadata={"description": "The approver's name"})
    state = ma.fields.String(
        required=True, validate=ma.validate.OneOf([s.value for s in ApprovalState])
    )


class RequestItemSchema(TicketSchema):
    request = ma.fields.String(required=True, metadata={"description": "The request's number"})
    catalog_item = ma.fields.Nested(CatalogItemRef, required=True)
    status = ma.fields.String(
        required=True, metadata={"description": "The state in the requester's words"}
    )
    approval_state = ma.fields.String(
        required=True, validate=ma.validate.OneOf([s.value for s in ApprovalState])
    )
    close_code = ma.fields.String(allow_none=True)
    close_notes = ma.fields.String(allow_none=True)
    answers = ma.fields.List(ma.fields.Nested(AnswerSchema), required=True)
    approvals = ma.fields.List(ma.fields.Nested(ApprovalRef), required=True)
    cancelable = ma.fields.Boolean(required=True)


class RequestSchema(TicketSchema):
    description = ma.fields.String(required=True)
    items = ma.fields.List(
        ma.fields.Nested(RequestItemSchema),
        required=True,
        metadata={"description": "The items the caller may see"},
    )


RequestPage = page_schema(RequestSchema, "RequestPage")
ItemPage = page_schema(RequestItemSchema, "RequestItemPage")


class RequestFilters(PageArgs, Input):
    state = ma.fields.List(
        ma.fields.String(validate=ma.validate.OneOf([s.value for s in RequestState])),
        load_default=list,
    )
    mine = ma.fields.Boolean(
        load_default=False,
        metadata={"description": "Only those I ordered, are for me or I watch (also for agents)"},
    )
    sort = ma.fields.String(load_default="opened", validate=ma.validate.OneOf(list(SORTS)))
    direction = ma.fields.String(load_default="desc", validate=ma.validate.OneOf(["asc", "desc"]))


class RequestItemFilters(PageArgs, Input):
    state = ma.fields.List(
        ma.fields.String(validate=ma.validate.OneOf([s.value for s in ItemState])),
        load_default=list,
    )
    catalog_item = ma.fields.Integer(validate=INT_ID)


class OrderLineInput(Input):
    catalog_item = ma.fields.Integer(required=True, validate=INT_ID)
    form_version = ma.fields.Integer(
        validate=INT_ID, metadata={"description": "The form version answered (default: current)"}
    )
    answers = ma.fields.Dict(
        keys=ma.fields.String(validate=ma.validate.Length(max=40)),
        values=ma.fields.Raw(allow_none=True),
        load_default=dict,
        metadata={"description": "Answers by variable name (files cannot be sent here)"},
    )


class OrderInput(Input):
    requested_for = ma.fields.Integer(
        validate=INT_ID, metadata={"description": "The person it is for (default: myself)"}
    )
    note = ma.fields.String(load_default="", validate=ma.validate.Length(max=4000))
    lines = ma.fields.List(
        ma.fields.Nested(OrderLineInput),
        required=True,
        validate=ma.validate.Length(min=1, max=20),
    )


class RequestCancelInput(Input):
    reason = ma.fields.String(load_default="", validate=ma.validate.Length(max=2000))


class ItemReplyInput(Input):
    body = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=20_000))


def dump_item(view: services.ItemView) -> dict[str, Any]:
    item = view.item
    return {
        **ticket_fields(item),
        "request": item.request.number,
        "catalog_item": {"id": item.catalog_item.id, "name": item.catalog_item.name},
        "status": view.status,
        "approval_state": ApprovalState(item.approval_state).value,
        "close_code": item.close_code.value if item.close_code else None,
        "close_notes": item.close_notes,
        "answers": [{"label": label, "text": text} for label, text in view.answers],
        "approvals": [
            {
                "id": a.id,
                "level": a.level,
                "approver": a.approver.display_name,
                "state": ApprovalState(a.state).value,
            }
            for a in item.approvals
        ],
        "cancelable": view.can_cancel,
    }


def item_view(item: RequestItem) -> services.ItemView:
    return services.ItemView(
        item,
        services.item_status(item),
        services.answers_of(item),
        item.state == ItemState.PENDING_APPROVAL,
    )


def dump_request(request: ServiceRequest, views: list[services.ItemView] | None = None) -> Any:
    """A request with the items the caller sees (``views``: already loaded, for lists)."""
    if views is None:
        views = services.visible_item_views(current_user, request)
    return {
        **ticket_fields(request),
        "description": request.description,
        "items": [dump_item(v) for v in views],
    }


#: What :func:`dump_item` reads of an item, loaded for a whole page at once.
ITEM_LOADS = (
    joinedload(RequestItem.opened_by),
    selectinload(RequestItem.request).joinedload(ServiceRequest.opened_by),
    selectinload(RequestItem.approvals).joinedload(Approval.approver),
    selectinload(RequestItem.form_version),
)


def load_item_views(query: Select) -> list[services.ItemView]:
    """The items of ``query`` (already narrowed and ordered) as the requester sees them, in a
    constant number of queries whatever their number."""
    return [item_view(i) for i in db.session.scalars(query.options(*ITEM_LOADS)).unique()]


def dump_requests(requests: list[ServiceRequest]) -> list[dict[str, Any]]:
    """A page of requests, each with the items the caller sees (the same visibility query as
    the item list, so one query for every request's items)."""
    ids = [r.id for r in requests]
    query = select(RequestItem).where(RequestItem.request_id.in_(ids)).order_by(RequestItem.id)
    views: dict[int, list[services.ItemView]] = {i: [] for i in ids}
    for view in load_item_views(visible_items(current_user, query)):
        views[view.item.request_id].append(view)
    return [dump_request(r, views[r.id]) for r in requests]


def get_item(number: str, action: str = "request_item.view") -> RequestItem:
    """The item the caller may see (404 otherwise) and may do ``action`` to (403)."""
    item = db.session.scalar(select(RequestItem).where(RequestItem.number == number.upper()[:20]))
    if item is None or not can(current_user, "request_item.view", item):
        raise NotFound(_("There is no request item with this number that you can see."))
    authorize(current_user, action, item)
    return item


def _request_response(request: ServiceRequest, status: int = 200) -> Response:
    response = respond(RequestSchema(), dump_request(request), request, "request", status)
    if status == 201:
        response.headers["Location"] = url_for("requests_api.read_request", number=request.number)
    return response


def _item_response(item: RequestItem) -> Response:
    return respond(RequestItemSchema(), dump_item(item_view(item)), item, "request_item")


def _ordered(query: Select, sort: str, direction: str) -> Select:
    column = SORTS[sort]
    order = column.desc() if direction == "desc" else column.asc()
    tie = ServiceRequest.id.desc() if direction == "desc" else ServiceRequest.id.asc()
    return query.order_by(order, tie)


@blp.route("/requests", methods=["GET"])
@operation("requests.order", READ)
@blp.arguments(RequestFilters, location="query", as_kwargs=True)
@blp.response(200, RequestPage)
def list_requests(
    cursor: str | None, limit: int, state: list[str], mine: bool, sort: str, direction: str
) -> Any:
    """List the requests the caller sees: their own (ordered by them, for them, watched) and
    those they approve; IT staff see every request unless ``mine``."""
    query = visible_requests(current_user, select(ServiceRequest), own_only=mine)
    if state:
        query = query.where(ServiceRequest.state.in_(state))
    query = _ordered(query, sort, direction).options(joinedload(ServiceRequest.opened_by))
    page = page_of(query, cursor, limit)
    return {"items": dump_requests(list(page.items)), "next_cursor": page.next_cursor}


@blp.route("/requests", methods=["POST"])
@operation("requests.order", WRITE)
@blp.arguments(OrderInput)
@blp.response(201, RequestSchema, headers={"ETag": {"schema": {"type": "string"}}})
def order(body: dict[str, Any]) -> Any:
    """Order catalog items: one request with an item per line, each checked against its
    form before anything is written (answers' problems as ``lines.<i>.<variable>``)."""
    lines = []
    for line in body["lines"]:
        item = services.orderable_item(current_user, line["catalog_item"])
        version = None
        if "form_version" in line:
            version = next((f for f in item.forms if f.id == line["form_version"]), None)
            if version is None:
                raise NotFound(
                    _(
                        "%(item)s has no form version %(version)s.",
                        item=item.name,
                        version=line["form_version"],
                    )
                )
        lines.append(services.OrderLine(item, line["answers"], version))
    requested_for = current_user
    if "requested_for" in body:
        requested_for = active_user(body["requested_for"])
    placed = services.order(
        orderer=current_user,
        requested_for=requested_for,
        lines=lines,
        note_text=body["note"],
        channel=Channel.API,
    )
    db.session.commit()
    return _request_response(placed, 201)


@blp.route("/requests/<number>", methods=["GET"])
@operation("requests.order", READ)
@blp.response(200, RequestSchema, headers={"ETag": {"schema": {"type": "string"}}})
def read_request(number: str) -> Any:
    """Read a request (an item's number leads to its request) with the items the caller
    sees, each state in the requester's words."""
    return _request_response(services.visible_request(current_user, number))


@blp.route("/requests/<number>/cancel", methods=["POST"])
@operation("requests.order", WRITE)
@blp.arguments(RequestCancelInput)
@blp.response(200, RequestSchema, headers={"ETag": {"schema": {"type": "string"}}})
def cancel_request(body: dict[str, Any], number: str) -> Any:
    """Cancel every item still waiting for approval (all or none), as the person who
    ordered it, the person it is for, or an administrator. Needs ``If-Match``."""
    request = services.visible_request(current_user, number)
    authorize(current_user, "request.cancel", request)
    etags.check_if_match(request, "request")
    services.cancel_request(request, actor=current_user, reason=body["reason"])
    db.session.commit()
    return _request_response(request)


@blp.route("/request-items", methods=["GET"])
@operation("requests.order", READ)
@blp.arguments(RequestItemFilters, location="query", as_kwargs=True)
@blp.response(200, ItemPage)
def list_items(
    cursor: str | None, limit: int, state: list[str], catalog_item: int | None = None
) -> Any:
    """List the request items the caller sees, newest first."""
    query = visible_items(current_user, select(RequestItem))
    if state:
        query = query.where(RequestItem.state.in_(state))
    if catalog_item is not None:
        query = query.where(RequestItem.catalog_item_id == catalog_item)
    query = query.order_by(RequestItem.opened_at.desc(), RequestItem.id.desc())
    page = page_of(query.options(*ITEM_LOADS), cursor, limit)
    return {"items": [dump_item(item_view(i)) for i in page.items], "next_cursor": page.next_cursor}


@blp.route("/request-items/<number>", methods=["GET"])
@operation("requests.order", READ)
@blp.response(200, RequestItemSchema, headers={"ETag": {"schema": {"type": "string"}}})
def read_item(number: str) -> Any:
    """Read one request item: its answers, approvals and state in the requester's words."""
    return _item_response(get_item(number))


@blp.route("/request-items/<number>/cancel", methods=["POST"])
@operation("requests.order", WRITE)
@blp.arguments(RequestCancelInput)
@blp.response(200, RequestItemSchema, headers={"ETag": {"schema": {"type": "string"}}})
def cancel_item(body: dict[str, Any], number: str) -> Any:
    """Cancel one item that still waits for approval. Needs ``If-Match``."""
    item = get_item(number, "request.cancel")
    etags.check_if_match(item, "request_item")
    services.cancel_item(item, actor=current_user, reason=body["reason"])
    db.session.commit()
    return _item_response(item)


@blp.route("/request-items/<number>/replies", methods=["POST"])
@operation("requests.order", WRITE)
@blp.arguments(ItemReplyInput)
@blp.response(201, EntrySchema)
def reply(body: dict[str, Any], number: str) -> Any:
    """A public reply on an item (the requester, the person it is for, IT staff). Replies
    only add to the conversation, so they need no ``If-Match``."""
    item = get_item(number, "request_item.reply")
    written = services.comment(item, author=current_user, body=body["body"], public=True)
    db.session.commit()
    return entry(written, item), 201
