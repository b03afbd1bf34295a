"""The service request API in one place, for views, the CLI, jobs and tests.

Every function flushes and never commits (the caller commits once) and raises the project's
errors: ``Invalid`` (422, per field), ``Forbidden`` (403), ``Conflict`` (409), ``NotFound``.
The modules behind it: ``catalog.services`` (items, forms, who may order),
``ordering.services`` (order, cancel), ``approvals.services`` (routing, decisions, reminders),
``approvals.delegation``, ``fulfilment.services`` (tasks, stages, automation, replies),
``status`` (the requester's words).
"""

from __future__ import annotations

from app.requests.approvals.delegation import (
    active_delegate,
    add_delegation,
    delegations_of,
    end_delegation,
)
from app.requests.approvals.services import (
    acts_for,
    approval_for,
    decide,
    may_decide,
    party_reason,
    remind_pending,
    waiting_count,
    waiting_for,
)
from app.requests.catalog.services import (
    categories,
    create_item,
    form_of,
    may_order,
    move_category,
    orderable_item,
    orderable_items,
    save_category,
    save_form,
    update_item,
)
from app.requests.fulfilment.services import (
    assign_task,
    change_task_state,
    comment,
    reply_on_task,
    task_by_number,
)
from app.requests.ordering.services import OrderLine, cancel_item, cancel_request, check_line, order
from app.requests.status import (
    ItemView,
    answers_of,
    item_status,
    my_request_counts,
    my_requests,
    request_view,
    visible_item_views,
    visible_request,
)

__all__ = [
    "ItemView",
    "OrderLine",
    "acts_for",
    "active_delegate",
    "add_delegation",
    "answers_of",
    "approval_for",
    "assign_task",
    "cancel_item",
    "cancel_request",
    "categories",
    "change_task_state",
    "check_line",
    "comment",
    "create_item",
    "decide",
    "delegations_of",
    "end_delegation",
    "form_of",
    "item_status",
    "may_decide",
    "may_order",
    "move_category",
    "my_request_counts",
    "my_requests",
    "order",
    "orderable_item",
    "orderable_items",
    "party_reason",
    "remind_pending",
    "reply_on_task",
    "request_view",
    "save_category",
    "save_form",
    "task_by_number",
    "update_item",
    "visible_item_views",
    "visible_request",
    "waiting_count",
    "waiting_for",
]
