"""A ticket's reporting facts from plain values (pure: no Flask, no SQLAlchemy).

:func:`ticket_facts` turns one ticket's fields and its state changes into the figures the
reports count (``docs/metrics.md`` defines each): wall and business durations to the first
response and to the resolution, whether it was ever on hold, and first-contact resolution.
Business time is the calendar's working time while the ticket is open and not on hold: a
hold pauses it, a resolution stops it and a reopening starts it again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from app.sla.calendar import BusinessCalendar

DONE_STATES = frozenset({"resolved", "closed", "canceled"})
PAUSED_STATES = frozenset({"on_hold"})


@dataclass(frozen=True)
class Durations:
    """Seconds to the first response and to the resolution (None: not reached)."""

    response_wall: int | None
    response_business: int | None
    resolution_wall: int | None
    resolution_business: int | None
    held: bool


def local_day(value: datetime, zone: tzinfo) -> date:
    """The day an instant falls on in ``zone`` (the report days' zone)."""
    return value.astimezone(zone).date()


def _seconds(value: timedelta) -> int:
    return max(0, int(value.total_seconds()))


def counted_time(
    calendar: BusinessCalendar,
    opened_at: datetime,
    first_state: str,
    changes: Iterable[tuple[datetime, str]],
    stop: datetime,
) -> timedelta:
    """Business time on ``calendar`` from ``opened_at`` to ``stop`` while the ticket was in a
    counting state (open, not on hold). ``changes`` are ``(at, new_state)`` in order; a change
    recorded before the opening counts from the opening."""
    state, since, total = first_state, opened_at, timedelta()
    for at, new in changes:
        at = max(at, opened_at)
        if at >= stop:
            break
        if state not in DONE_STATES and state not in PAUSED_STATES and at > since:
            total += calendar.business_time(since, at)
        state, since = new, at
    if state not in DONE_STATES and state not in PAUSED_STATES and stop > since:
        total += calendar.business_time(since, stop)
    return total


def ticket_durations(
    calendar: BusinessCalendar,
    *,
    opened_at: datetime,
    first_state: str,
    changes: list[tuple[datetime, str]],
    first_response_at: datetime | None,
    resolved_at: datetime | None,
) -> Durations:
    """The response and resolution durations of one ticket (see the module docstring).

    Wall time is the plain elapsed time from the opening; business time follows
    :func:`counted_time`. A response or resolution recorded before the opening counts as 0.
    """
    held = first_state in PAUSED_STATES or any(new in PAUSED_STATES for _, new in changes)
    response_wall = response_business = resolution_wall = resolution_business = None
    if first_response_at is not None:
        response_wall = _seconds(first_response_at - opened_at)
        response_business = _seconds(
            counted_time(calendar, opened_at, first_state, changes, first_response_at)
        )
    if resolved_at is not None:
        resolution_wall = _seconds(resolved_at - opened_at)
        resolution_business = _seconds(
            counted_time(calendar, opened_at, first_state, changes, resolved_at)
        )
    return Durations(response_wall, response_business, resolution_wall, resolution_business, held)


def is_first_contact(
    *, resolved: bool, reopen_count: int, reassignment_count: int, held: bool
) -> bool:
    """First-contact resolution: resolved by the queue that first took it, never reassigned,
    never put on hold (nobody was waited for) and never reopened."""
    return resolved and reopen_count == 0 and reassignment_count == 0 and not held
