"""Builders for service request tests: a small organisation with a manager chain and a
fulfilment queue, catalog items made through the catalog services, orders placed through the
ordering service."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest

from tests.incidents.conftest import queue  # noqa: F401  (shared builder)

LAPTOP_FORM = [
    {
        "name": "model",
        "label": "Model",
        "type": "choice",
        "required": True,
        "choices": ["13 inch", "15 inch"],
    },
    {"name": "reason", "label": "Why", "type": "long_text"},
]


@dataclass
class Org:
    """Kim works for Ann, who works for Bob; Identity & Access (managed by Gina, with the
    agents Ivan and Iris) fulfils; Ada is an administrator."""

    kim: Any
    ann: Any
    bob: Any
    gina: Any
    ivan: Any
    iris: Any
    ada: Any
    queue: Any


@pytest.fixture
def org(db, make_user) -> Org:
    from app.auth import groups, services

    ada = make_user(f"ada{uuid.uuid4().hex[:6]}", roles=["admin", "employee"], display_name="Ada")
    bob = make_user(display_name="Bob Boss")
    ann = make_user(display_name="Ann Smith")
    kim = make_user(display_name="Kim Lee")
    gina = make_user(display_name="Gina Manager", roles=["agent", "employee"])
    ivan = make_user(display_name="Ivan Agent", roles=["agent", "employee"])
    iris = make_user(display_name="Iris Agent", roles=["agent", "employee"])
    services.set_manager(ann, bob, actor=None)
    services.set_manager(kim, ann, actor=None)
    group = groups.create_group(
        actor=ada, name=f"Identity {uuid.uuid4().hex[:6]}", manager_id=gina.id
    )
    groups.add_members(group, [ivan, iris], actor=ada)
    db.session.commit()
    return Org(kim, ann, bob, gina, ivan, iris, ada, group)


@pytest.fixture
def make_item(db, org) -> Any:
    """``make_item(approval_policy=[...], task_template=[...], variables=[...], **values)`` →
    a committed catalog item fulfilled by ``org.queue``."""
    from app.requests.catalog import services as catalog

    def make(name: str | None = None, variables: Any = None, **values: Any) -> Any:
        item = catalog.create_item(
            actor=org.ada,
            name=name or f"Laptop {uuid.uuid4().hex[:6]}",
            fulfilment_group_id=org.queue.id,
            variables=LAPTOP_FORM if variables is None else variables,
            **values,
        )
        db.session.commit()
        return item

    return make


@pytest.fixture
def place(db, org) -> Any:
    """``place(item, answers=..., orderer=org.kim, requested_for=None)`` → the committed
    request item (the request is ``item.request``)."""
    from app.requests.ordering.services import OrderLine, order

    def make(
        item: Any,
        answers: Any = None,
        orderer: Any = None,
        requested_for: Any = None,
        now: Any = None,
    ) -> Any:
        orderer = orderer or org.kim
        request = order(
            orderer=orderer,
            requested_for=requested_for or orderer,
            lines=[OrderLine(item, {"model": "13 inch"} if answers is None else answers)],
            now=now,
        )
        db.session.commit()
        return request.items[0]

    return make


def event_types(db, ticket) -> list[str]:
    from sqlalchemy import select

    from app.tickets.models import TicketEvent

    return list(
        db.session.scalars(
            select(TicketEvent.type)
            .where(TicketEvent.ticket_id == ticket.id)
            .order_by(TicketEvent.id)
        )
    )


def pending(item) -> list[Any]:
    """The approvals of the item's current level that wait for a decision."""
    return item.waiting_approvals
