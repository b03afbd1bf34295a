"""Builders for survey tests: a queue with a manager, an agent and a caller, incidents of the
caller's in it, and ways to resolve them and set the survey settings."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select

from tests.requests.conftest import make_item, org, place  # noqa: F401  (shared builders)

AT = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


@pytest.fixture
def desk(db, make_user) -> Any:
    """A queue (its manager and an agent), a caller with an address, and ``new()`` → a
    committed incident of the caller's, assigned to the agent."""
    from app.auth import groups
    from app.incidents import services

    admin = make_user(roles=["admin"])
    manager = make_user(roles=["agent"], email="manager@example.org")
    agent = make_user(roles=["agent"], email="agent@example.org")
    caller = make_user(email="caller@example.org")
    other = make_user(email="other@example.org")
    group = groups.create_group(
        actor=admin, name="Service Desk", is_assignment_group=True, manager_id=manager.id
    )
    groups.add_members(group, [agent], actor=admin)
    db.session.commit()

    def new(who: Any = None, title: str = "Printer jams on every page") -> Any:
        incident = services.open_incident(
            caller=who or caller,
            opened_by=who or caller,
            short_description=title,
            category="Hardware",
            affected_service="Printing",
            assignment_group=group,
        )
        db.session.commit()
        services.assign_incident(incident, group=group, assignee=agent, actor=agent)
        db.session.commit()
        return incident

    return SimpleNamespace(
        admin=admin,
        manager=manager,
        agent=agent,
        caller=caller,
        other=other,
        group=group,
        new=new,
        incident=new(),
    )


@pytest.fixture
def resolve(db) -> Any:
    """``resolve(incident, actor, now=None)``: resolved and committed."""
    from app.incidents import services
    from app.incidents.workflow import State, Transition

    def run(incident: Any, actor: Any, now: datetime | None = None) -> None:
        change = Transition(
            State.RESOLVED, resolution_code="solved_permanently", resolution_notes="New roller."
        )
        services.change_state(incident, change, actor=actor, now=now)
        db.session.commit()

    return run


@pytest.fixture
def configure(db) -> Any:
    """``configure(percentage=..., ...)``: the survey settings saved (others at defaults)."""
    from app.surveys import services

    def run(**values: Any) -> Any:
        chosen = {
            "percentage": 100,
            "once_per_days": 0,
            "delay_hours": 0,
            "low_score": 2,
            "edit_days": 3,
            **values,
        }
        row = services.save_settings({k: str(v) for k, v in chosen.items()})
        db.session.commit()
        return row

    return run


@pytest.fixture
def survey_of(db) -> Any:
    from app.surveys.models import Survey

    def find(ticket: Any) -> Any:
        db.session.expire_all()
        return db.session.scalar(select(Survey).where(Survey.ticket_id == ticket.id))

    return find


@pytest.fixture
def told(db) -> Any:
    """``told(user)`` → the kinds of notification ``user`` received, in order."""
    from app.notifications.models import Notification

    def find(user: Any) -> list[str]:
        query = select(Notification.kind).where(Notification.recipient_id == user.id)
        return list(db.session.scalars(query.order_by(Notification.id)))

    return find
