"""Builders shared by the saved views' and weekly mail's tests: tickets opened and resolved at
chosen instants, and a person subscribed to the weekly report."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

WEDNESDAY = datetime(2026, 12, 9, 8, 0, tzinfo=UTC)
"""A run of the weekly mail: the last full week is Monday 30 Nov to Sunday 6 Dec 2026."""


def at(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(f"{day}T{hour:02d}:00:00+00:00")


@pytest.fixture
def ticket_at(db: Any, make_user: Any) -> Any:
    """``ticket_at(opened, resolved=None, caller=None)`` → a committed incident opened (and
    resolved) at those instants."""
    from sqlalchemy import update

    from app.incidents import services
    from app.tickets.models import Ticket

    callers: list[Any] = []

    def make(opened: datetime, resolved: datetime | None = None, caller: Any = None) -> Any:
        if caller is None:
            if not callers:
                callers.append(make_user(email="caller@example.org"))
            caller = callers[0]
        incident = services.open_incident(
            caller=caller, opened_by=caller, short_description="Printer jams", now=opened
        )
        db.session.flush()
        db.session.execute(
            update(Ticket)
            .where(Ticket.id == incident.id)
            .values(opened_at=opened, resolved_at=resolved)
        )
        db.session.commit()
        return incident

    return make


@pytest.fixture
def week_of_tickets(ticket_at: Any) -> None:
    """In the week of 30 Nov 2026: 2 opened, 2 resolved, 2 left in the backlog at its end."""
    ticket_at(at("2026-11-25"), at("2026-12-02"))  # resolved in the week
    ticket_at(at("2026-12-01"))  # opened in the week, still open
    ticket_at(at("2026-12-03"), at("2026-12-04"))  # opened and resolved in the week
    ticket_at(at("2026-12-08"))  # after the week
    ticket_at(at("2026-11-20"))  # before the week, still open
    ticket_at(at("2026-11-29", 23), at("2026-12-07", 0))  # resolved just after the week
