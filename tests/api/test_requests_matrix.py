"""Who may do what to requests, request items, approvals, catalog items and catalog tasks
through the API: exactly what the portal, approver and task pages allow.

Requests and approvals are for people who order (employees and agents); a request someone may
not see is a 404, as in the pages; only the person who ordered (or an administrator) cancels.
Tasks are for agents, and only agents of the task's group work them.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.authz import ROLES, Case, World, run
from tests.incidents.conftest import queue  # noqa: F401  (fixtures the setups use)
from tests.requests.conftest import make_item, org, place  # noqa: F401

MANAGER = [{"kind": "manager"}]
ORDERERS = {"owner": 200, "employee": 200, "agent": 200}


def _etag(kind: str, obj: Any) -> str:
    return f'"{kind}-{obj.id}-v{obj.version}"'


def _item(world: World) -> dict[str, Any]:
    """A catalog item open to everyone, and the form answers it needs."""
    item = world.fixture("make_item")()
    return {"item_id": item.id, "form": item.form.id}


def _ordered(world: World) -> dict[str, Any]:
    """The owner's request, its item waiting for approval."""
    item = world.fixture("place")(
        world.fixture("make_item")(approval_policy=MANAGER), orderer=world.owner
    )
    request = item.request
    return {
        "number": request.number,
        "item": item.number,
        "etag": _etag("request", request),
        "item_etag": _etag("request_item", item),
    }


def _ordered_item(world: World) -> dict[str, Any]:
    values = _ordered(world)
    return {**values, "number": values["item"], "etag": values["item_etag"]}


def _approval(world: World) -> dict[str, Any]:
    """An approval waiting for the owner: the owner's report ordered something."""
    from app.auth import services

    org_ = world.fixture("org")
    services.set_manager(org_.kim, world.owner, actor=None)
    item = world.fixture("place")(world.fixture("make_item")(approval_policy=MANAGER))
    approval = item.approvals[0]
    return {"id": approval.id, "etag": _etag("approval", approval)}


def _task(world: World) -> dict[str, Any]:
    """A catalog task of the owner's item, in the fulfilment group (no agent role holds)."""
    item = world.fixture("place")(world.fixture("make_item")(), orderer=world.owner)
    task = item.tasks[0]
    return {"number": task.number, "etag": _etag("task", task), "group": task.assignment_group_id}


def _order_body(values: dict[str, Any]) -> dict[str, Any]:
    return {"lines": [{"catalog_item": values["item_id"], "answers": {"model": "13 inch"}}]}


def _delegate(world: World) -> dict[str, Any]:
    """Someone to delegate to, and a period starting now."""
    from datetime import timedelta

    from app.timeutils import utc_now

    now = utc_now()
    return {
        "delegate": world.fixture("make_user")().id,
        "starts_at": now.isoformat(),
        "ends_at": (now + timedelta(days=5)).isoformat(),
    }


def _delegation(world: World) -> dict[str, Any]:
    """A delegation the owner gave to someone else."""
    from datetime import timedelta

    from app.extensions import db
    from app.requests.approvals.delegation import add_delegation
    from app.timeutils import utc_now

    now = utc_now()
    made = add_delegation(
        delegator=world.owner,
        delegate=world.fixture("make_user")(),
        starts_at=now - timedelta(days=1),
        ends_at=now + timedelta(days=3),
        actor=world.owner,
    )
    db.session.commit()
    return {"id": made.id}


CASES = [
    Case("requests_api.list_requests", "GET", "/api/v1/requests", expect=ORDERERS),
    Case(
        "requests_api.order",
        "POST",
        "/api/v1/requests",
        setup=_item,
        json=_order_body,
        expect={"owner": 201, "employee": 201, "agent": 201},
    ),
    Case(
        "requests_api.read_request",
        "GET",
        "/api/v1/requests/{number}",
        setup=_ordered,
        expect={"owner": 200, "employee": 404, "agent": 200},
    ),
    Case(
        "requests_api.cancel_request",
        "POST",
        "/api/v1/requests/{number}/cancel",
        setup=_ordered,
        json={"reason": "Not needed"},
        if_match="etag",
        # Agents see it but did not order it; administrators have no portal.
        expect={"owner": 200, "employee": 404, "agent": 403},
    ),
    Case("requests_api.list_items", "GET", "/api/v1/request-items", expect=ORDERERS),
    Case(
        "requests_api.read_item",
        "GET",
        "/api/v1/request-items/{number}",
        setup=_ordered_item,
        expect={"owner": 200, "employee": 404, "agent": 200},
    ),
    Case(
        "requests_api.cancel_item",
        "POST",
        "/api/v1/request-items/{number}/cancel",
        setup=_ordered_item,
        json={},
        if_match="etag",
        expect={"owner": 200, "employee": 404, "agent": 403},
    ),
    Case(
        "requests_api.reply",
        "POST",
        "/api/v1/request-items/{number}/replies",
        setup=_ordered_item,
        json={"body": "Any news?"},
        expect={"owner": 201, "employee": 404, "agent": 201},
    ),
    Case("approvals_api.list_approvals", "GET", "/api/v1/approvals", expect=ORDERERS),
    Case(
        "approvals_api.read_approval",
        "GET",
        "/api/v1/approvals/{id}",
        setup=_approval,
        # Nobody else learns that the approval exists, agents included (as on the pages).
        expect={"owner": 200, "employee": 404, "agent": 404},
    ),
    Case(
        "approvals_api.decide",
        "POST",
        "/api/v1/approvals/{id}/decision",
        setup=_approval,
        json={"decision": "approve"},
        if_match="etag",
        expect={"owner": 200, "employee": 404, "agent": 404},
    ),
    Case("catalog_api.list_items", "GET", "/api/v1/catalog/items", expect=ORDERERS),
    Case(
        "catalog_api.read_item",
        "GET",
        "/api/v1/catalog/items/{item_id}",
        setup=_item,
        expect=ORDERERS,
    ),
    Case("catalog_api.list_categories", "GET", "/api/v1/catalog/categories", expect=ORDERERS),
    Case("tasks_api.list_tasks", "GET", "/api/v1/tasks", expect={"agent": 200}),
    Case(
        "tasks_api.read_task",
        "GET",
        "/api/v1/tasks/{number}",
        setup=_task,
        expect={"agent": 200},
    ),
    Case(
        "tasks_api.assign",
        "PUT",
        "/api/v1/tasks/{number}/assignment",
        setup=_task,
        json=lambda values: {"group": values["group"]},
        if_match="etag",
        # Only agents of the task's group (or agents who administer) work it.
        expect={},
    ),
    Case(
        "tasks_api.change_state",
        "PUT",
        "/api/v1/tasks/{number}/state",
        setup=_task,
        json={"state": "in_progress"},
        if_match="etag",
        expect={},
    ),
    Case(
        "tasks_api.comment",
        "POST",
        "/api/v1/tasks/{number}/comments",
        setup=_task,
        json={"body": "We ordered it.", "public": True},
        # A public reply: any agent may answer the requester, as on the task page.
        expect={"agent": 201},
    ),
    Case(
        "approvals_api.list_delegations",
        "GET",
        "/api/v1/approval-delegations",
        expect=ORDERERS,
    ),
    Case(
        "approvals_api.add_delegation",
        "POST",
        "/api/v1/approval-delegations",
        setup=_delegate,
        json=lambda values: values,
        # Every approver names their own delegate (people who order approve too).
        expect={"owner": 201, "employee": 201, "agent": 201},
    ),
    Case(
        "approvals_api.end_delegation",
        "POST",
        "/api/v1/approval-delegations/{id}/end",
        setup=_delegation,
        # Another person's delegation does not exist for them.
        expect={"owner": 204, "employee": 404, "agent": 404},
    ),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", CASES, ids=str)
def test_request_operations(case: Case, role: str, api_client, request) -> None:
    run(case, role, request)
