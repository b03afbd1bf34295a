"""Builders for notification tests: people around an incident, and the rows they were sent."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select

from tests.incidents.conftest import queue  # noqa: F401  (shared builder)
from tests.requests.conftest import make_item, org, place  # noqa: F401  (shared builders)
from tests.smtp_server import sending, smtp_server  # noqa: F401  (a real SMTP server)


@pytest.fixture
def desk(db, make_user) -> Any:
    """A queue with two agents (one with an address in Paris), a caller with an address, and
    an incident of the caller's in the queue, assigned to the first agent (all committed)."""
    from app.auth import groups
    from app.incidents import services

    admin = make_user(roles=["admin"])
    agent = make_user(roles=["agent"], email="agent@example.org", timezone="Europe/Paris")
    colleague = make_user(roles=["agent"], email="colleague@example.org")
    caller = make_user(email="caller@example.org", timezone="America/New_York")
    group = groups.create_group(actor=admin, name="Service Desk", is_assignment_group=True)
    groups.add_members(group, [agent, colleague], actor=admin)
    db.session.commit()
    incident = services.open_incident(
        caller=caller,
        opened_by=caller,
        short_description="Printer jams on every page",
        assignment_group=group,
    )
    db.session.commit()
    services.assign_incident(incident, group=group, assignee=agent, actor=colleague)
    db.session.commit()
    return SimpleNamespace(
        admin=admin,
        agent=agent,
        colleague=colleague,
        caller=caller,
        group=group,
        incident=incident,
    )


@pytest.fixture
def sent(db) -> Any:
    """``sent(user)`` → ``{kind, ...}`` notified to ``user`` (``sent(user, rows=True)``: rows)."""
    from app.notifications.models import Notification

    def find(user: Any, *, rows: bool = False) -> Any:
        found = list(
            db.session.scalars(
                select(Notification)
                .where(Notification.recipient_id == user.id)
                .order_by(Notification.id)
            )
        )
        return found if rows else [n.kind for n in found]

    return find
