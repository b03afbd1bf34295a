"""``/api/v1/approvals``: the approvals waiting for the caller (their own and, as a delegate,
their delegators'), those they decided, and deciding one; ``/api/v1/approval-delegations``:
the caller's delegations (given and received), naming a delegate for an absence, ending one.

The approvals services decide who may see and decide what, as on the approver pages: an
approval the caller has no part in is a 404, a decision on an item they ordered or that is for
them a 403, a decision that comes too late a 409, a stale ``If-Match`` a 412.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import Response
from flask_babel import gettext as _
from flask_login import current_user

from app.api import etags, scopes
from app.api.auth import operation
from app.api.pagination import PageArgs
from app.api.resources.common import INT_ID, page_list, person, respond
from app.api.schemas import Input, PersonRef, UTCDateTime, page_schema
from app.api.spec import Blueprint
from app.errors import Invalid, NotFound
from app.extensions import db
from app.requests import portal_queries, services
from app.requests.common import active_user
from app.requests.models import Approval, ApprovalDelegation
from app.requests.states import ApprovalState

AREA = scopes.add_area("approvals", "Approvals: list mine, decide")
READ, WRITE = f"{AREA}:read", f"{AREA}:write"
DECIDED_LIMIT = 100  # the decided list keeps the newest decisions

blp = Blueprint(
    "approvals_api", __name__, description="Approvals waiting for me or decided by me; deciding."
)


class ApprovalSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    item = ma.fields.String(required=True, metadata={"description": "The request item's number"})
    request = ma.fields.String(required=True, metadata={"description": "The request's number"})
    catalog_item = ma.fields.String(required=True, metadata={"description": "What was ordered"})
    requested_for = ma.fields.Nested(PersonRef, allow_none=True)
    ordered_by = ma.fields.Nested(PersonRef, allow_none=True)
    level = ma.fields.Integer(required=True)
    approver = ma.fields.Nested(PersonRef, required=True)
    state = ma.fields.String(
        required=True, validate=ma.validate.OneOf([s.value for s in ApprovalState])
    )
    comment = ma.fields.String(allow_none=True)
    requested_at = UTCDateTime(required=True)
    decided_at = UTCDateTime(allow_none=True)
    decided_by = ma.fields.Nested(PersonRef, allow_none=True)
    item_status = ma.fields.String(required=True)
    may_decide = ma.fields.Boolean(required=True)
    refusal = ma.fields.String(
        allow_none=True, metadata={"description": "Why the caller may never decide it"}
    )
    version = ma.fields.Integer(required=True)


ApprovalPage = page_schema(ApprovalSchema, "ApprovalPage")


class ApprovalFilters(PageArgs, Input):
    show = ma.fields.String(
        load_default="waiting",
        validate=ma.validate.OneOf(["waiting", "decided"]),
        metadata={"description": "waiting (for my decision, oldest first) or decided (by me)"},
    )


class DecisionInput(Input):
    decision = ma.fields.String(required=True, validate=ma.validate.OneOf(["approve", "reject"]))
    comment = ma.fields.String(
        load_default="",
        validate=ma.validate.Length(max=4000),
        metadata={"description": "Required to reject: the reason the requester reads"},
    )


def dump(approval: Approval) -> dict[str, Any]:
    item = approval.item
    return {
        "id": approval.id,
        "item": item.number,
        "request": item.request.number,
        "catalog_item": item.catalog_item.name,
        "requested_for": person(item.caller),
        "ordered_by": person(item.opened_by),
        "level": approval.level,
        "approver": person(approval.approver),
        "state": ApprovalState(approval.state).value,
        "comment": approval.comment,
        "requested_at": approval.requested_at,
        "decided_at": approval.decided_at,
        "decided_by": person(approval.decided_by),
        "item_status": services.item_status(item),
        "may_decide": approval.state == ApprovalState.REQUESTED
        and services.may_decide(current_user, approval),
        "refusal": services.party_reason(current_user, item),
        "version": approval.version,
    }


def _respond(approval: Approval) -> Response:
    return respond(ApprovalSchema(), dump(approval), approval, "approval")


@blp.route("/approvals", methods=["GET"])
@operation("requests.order", READ)
@blp.arguments(ApprovalFilters, location="query", as_kwargs=True)
@blp.response(200, ApprovalPage)
def list_approvals(cursor: str | None, limit: int, show: str) -> Any:
    """The approvals waiting for my decision (mine and my delegators'), or those I decided."""
    if show == "waiting":
        rows = services.waiting_for(current_user)
    else:
        rows = portal_queries.decided_by(current_user, limit=DECIDED_LIMIT)
    page = page_list(rows, cursor, limit)
    return {**page, "items": [dump(a) for a in page["items"]]}


@blp.route("/approvals/<int:approval_id>", methods=["GET"])
@operation("requests.order", READ)
@blp.response(200, ApprovalSchema, headers={"ETag": {"schema": {"type": "string"}}})
def read_approval(approval_id: int) -> Any:
    """Read an approval I am asked (or as a delegate may be asked) to decide, or decided."""
    return _respond(services.approval_for(current_user, approval_id))


@blp.route("/approvals/<int:approval_id>/decision", methods=["POST"])
@operation("requests.order", WRITE)
@blp.arguments(DecisionInput)
@blp.response(200, ApprovalSchema, headers={"ETag": {"schema": {"type": "string"}}})
def decide(body: dict[str, Any], approval_id: int) -> Any:
    """Approve or reject (a rejection needs a comment). Needs ``If-Match``."""
    approval = services.approval_for(current_user, approval_id)
    version = etags.check_if_match(approval, "approval")
    services.decide(
        approval,
        actor=current_user,
        approve=body["decision"] == "approve",
        comment=body["comment"],
        expected_version=version,
        via="the API",
    )
    db.session.commit()
    return _respond(approval)


# -- delegation -----------------------------------------------------------------------------


class DelegationSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    delegator = ma.fields.Nested(PersonRef, required=True)
    delegate = ma.fields.Nested(PersonRef, required=True)
    starts_at = UTCDateTime(required=True)
    ends_at = UTCDateTime(required=True)
    role = ma.fields.String(
        required=True,
        validate=ma.validate.OneOf(["given", "received"]),
        metadata={"description": "given: I let the delegate decide; received: I decide"},
    )


DelegationPage = page_schema(DelegationSchema, "ApprovalDelegationPage")


class DelegationInput(Input):
    delegate = ma.fields.Integer(required=True, validate=INT_ID)
    starts_at = UTCDateTime(required=True)
    ends_at = UTCDateTime(required=True)


def dump_delegation(delegation: ApprovalDelegation) -> dict[str, Any]:
    return {
        "id": delegation.id,
        "delegator": person(delegation.delegator),
        "delegate": person(delegation.delegate),
        "starts_at": delegation.starts_at,
        "ends_at": delegation.ends_at,
        "role": "given" if delegation.delegator_id == current_user.id else "received",
    }


@blp.route("/approval-delegations", methods=["GET"])
@operation("requests.order", READ)
@blp.arguments(PageArgs, location="query", as_kwargs=True)
@blp.response(200, DelegationPage)
def list_delegations(cursor: str | None, limit: int) -> Any:
    """My current and future delegations, given and received, by start."""
    page = page_list(services.delegations_of(current_user), cursor, limit)
    return {**page, "items": [dump_delegation(d) for d in page["items"]]}


@blp.route("/approval-delegations", methods=["POST"])
@operation("requests.order", WRITE)
@blp.arguments(DelegationInput)
@blp.response(201, DelegationSchema)
def add_delegation(body: dict[str, Any]) -> Any:
    """Let an active person decide my approvals from ``starts_at`` to ``ends_at`` (at most a
    year, not overlapping another of mine): the approver delegation page's rules."""
    delegate = active_user(body["delegate"])
    if delegate is None:
        raise Invalid({"delegate": _("Choose an active person as the delegate.")})
    made = services.add_delegation(
        delegator=current_user,
        delegate=delegate,
        starts_at=body["starts_at"],
        ends_at=body["ends_at"],
        actor=current_user,
    )
    db.session.commit()
    return dump_delegation(made), 201


@blp.route("/approval-delegations/<int:delegation_id>/end", methods=["POST"])
@operation("requests.order", WRITE)
@blp.response(204)
def end_delegation(delegation_id: int) -> Any:
    """End my delegation now (one not started yet is removed). A delegation of another
    person's is a 404; the delegate may read it but only its giver ends it (403). Ending only
    shortens a period and ending twice changes nothing, so it needs no ``If-Match``."""
    delegation = db.session.get(ApprovalDelegation, delegation_id)
    if delegation is None or current_user.id not in (
        delegation.delegator_id,
        delegation.delegate_id,
    ):
        raise NotFound(_("There is no such delegation of yours."))
    services.end_delegation(delegation, actor=current_user)
    db.session.commit()
    return "", 204
