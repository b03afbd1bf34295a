"""Authorization rules for the catalog, requests, approvals and tasks (see ``app.policy``), and
the visibility filters that keep lists and counts from leaking what a person may not see.

* Employees see the requests and items they ordered, that are for them, or that they watch.
* Approvers (and their delegates during the delegation) see the items they are asked to approve.
* IT staff (agents) see every request, item and task; they work the tasks of their groups.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, false, or_, select

from app.auth.models import Role
from app.extensions import db
from app.policy import rule
from app.requests.models import Approval, ApprovalDelegation, RequestItem, ServiceRequest
from app.tickets.visibility import own_ticket_ids
from app.timeutils import utc_now


def _agent(user: Any) -> bool:
    return user.has_role(Role.AGENT)


def _party(user: Any, ticket: Any) -> bool:
    return ticket is not None and (
        user.id in (ticket.caller_id, ticket.opened_by_id)
        or any(w.id == user.id for w in ticket.watchers)
    )


def approver_ids_for(user_id: int) -> Select:
    """The person and those whose approvals they decide now as a delegate."""
    now = utc_now()
    return select(ApprovalDelegation.delegator_id).where(
        ApprovalDelegation.delegate_id == user_id,
        ApprovalDelegation.starts_at <= now,
        ApprovalDelegation.ends_at > now,
    )


def approved_item_ids(user_id: int) -> Select:
    """Ids of the items the person is (or was) asked to approve, directly or as a delegate."""
    return select(Approval.item_id).where(
        or_(Approval.approver_id == user_id, Approval.approver_id.in_(approver_ids_for(user_id)))
    )


def _approves(user: Any, item: Any) -> bool:
    if item is None:
        return False
    query = approved_item_ids(user.id).where(Approval.item_id == item.id).limit(1)
    return db.session.scalar(query) is not None


@rule("requests.order")
def may_order_from_catalog(user: Any, obj: Any) -> bool:
    """Browse the catalog, order, follow one's requests (and decide one's approvals)."""
    return user.has_role(Role.EMPLOYEE, Role.AGENT)


@rule("requests.admin")
def may_administer_catalog(user: Any, obj: Any) -> bool:
    """Build and change catalog categories, items, forms, policies and templates."""
    return user.has_role(Role.ADMIN)


@rule("request.view")
def may_view_request(user: Any, request: Any) -> bool:
    if request is None:
        return False
    return (
        _agent(user)
        or _party(user, request)
        or any(_approves(user, item) for item in request.items)
    )


@rule("request_item.view")
def may_view_item(user: Any, item: Any) -> bool:
    if item is None:
        return False
    return _agent(user) or _party(user, item) or _party(user, item.request) or _approves(user, item)


@rule("request_item.reply")
def may_reply_on_item(user: Any, item: Any) -> bool:
    """Public replies on an item: IT staff, the requester and the person it is for."""
    return item is not None and (_agent(user) or _party(user, item) or _party(user, item.request))


@rule("request_item.work")
def may_work_item(user: Any, item: Any) -> bool:
    """Internal work notes on an item: IT staff."""
    return _agent(user)


@rule("request.cancel")
def may_cancel(user: Any, ticket: Any) -> bool:
    """The person who ordered, the person it is for, or an administrator (the services also
    check that fulfilment has not started)."""
    return ticket is not None and (
        user.id in (ticket.caller_id, ticket.opened_by_id) or user.has_role(Role.ADMIN)
    )


@rule("approval.decide")
def may_decide_approval(user: Any, approval: Any) -> bool:
    """The approver, or their delegate during the delegation."""
    from app.requests.approvals.services import may_decide

    return approval is not None and may_decide(user, approval)


@rule("catalog_task.view")
def may_view_task(user: Any, task: Any) -> bool:
    return _agent(user)


@rule("catalog_task.work")
def may_work_task(user: Any, task: Any) -> bool:
    """Agents of the task's assignment group (and administrators who are agents)."""
    if not _agent(user) or task is None:
        return False
    if user.has_role(Role.ADMIN):
        return True
    return any(g.id == task.assignment_group_id for g in user.groups)


def visible_requests(user: Any, query: Select, *, own_only: bool = False) -> Select:
    """Restrict a query over ``ServiceRequest`` to those ``user`` may see; ``own_only``: only
    those they ordered, are for them or watch (even for IT staff)."""
    if _agent(user) and not own_only:
        return query
    mine = ServiceRequest.id.in_(own_ticket_ids(user.id))
    if own_only:
        return query.where(mine)
    approving = ServiceRequest.id.in_(
        select(RequestItem.request_id).where(RequestItem.id.in_(approved_item_ids(user.id)))
    )
    return query.where(or_(mine, approving))


def visible_items(user: Any, query: Select) -> Select:
    """Restrict a query over ``RequestItem`` to those ``user`` may see."""
    if _agent(user):
        return query
    return query.where(
        or_(
            RequestItem.id.in_(own_ticket_ids(user.id)),
            RequestItem.request_id.in_(own_ticket_ids(user.id)),
            RequestItem.id.in_(approved_item_ids(user.id)),
        )
    )


def visible_tasks(user: Any, query: Select) -> Select:
    """Restrict a query over ``CatalogTask``: IT staff see tasks, nobody else does."""
    return query if _agent(user) else query.where(false())
