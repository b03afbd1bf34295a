"""The incident lifecycle as a pure state machine (no Flask, no database).

::

    new ──► in_progress ──► on_hold ──► in_progress
     │          │   ▲          │
     │          ▼   │          ▼
     └────► resolved ─(reopen)─┘      resolved ──► closed
     any open state ──► canceled

Open states are new, in_progress and on_hold. Resolved incidents can be reopened by the
caller within a window, after which they close. Closed and canceled are final.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from app.tickets.holds import HoldReason


class State(enum.StrEnum):
    NEW = "new"
    IN_PROGRESS = "in_progress"
    ON_HOLD = "on_hold"
    RESOLVED = "resolved"
    CLOSED = "closed"
    CANCELED = "canceled"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()

    @property
    def is_open(self) -> bool:
        return self in OPEN_STATES


OPEN_STATES = frozenset({State.NEW, State.IN_PROGRESS, State.ON_HOLD})

TRANSITIONS: dict[State, frozenset[State]] = {
    State.NEW: frozenset({State.IN_PROGRESS, State.ON_HOLD, State.RESOLVED, State.CANCELED}),
    State.IN_PROGRESS: frozenset({State.ON_HOLD, State.RESOLVED, State.CANCELED}),
    State.ON_HOLD: frozenset({State.IN_PROGRESS, State.RESOLVED, State.CANCELED}),
    State.RESOLVED: frozenset({State.IN_PROGRESS, State.CLOSED}),
    State.CLOSED: frozenset(),
    State.CANCELED: frozenset(),
}

# What an employee sees instead of the internal state name.
PLAIN_WORDS = {
    State.NEW: "Received, waiting for an agent",
    State.IN_PROGRESS: "Being worked on",
    State.ON_HOLD: "On hold",
    State.RESOLVED: "Solved: please confirm",
    State.CLOSED: "Closed",
    State.CANCELED: "Canceled",
}
HOLD_PLAIN_WORDS = {
    HoldReason.AWAITING_CALLER: "Waiting for your answer",
    HoldReason.AWAITING_VENDOR: "Waiting for a supplier",
    HoldReason.AWAITING_CHANGE: "Waiting for a planned change",
    HoldReason.AWAITING_PROBLEM: "Waiting for a fix to a known problem",
}


@dataclass(frozen=True)
class Transition:
    """A requested change of state with what it carries."""

    target: State
    hold_reason: HoldReason | None = None
    resolution_code: str | None = None
    resolution_notes: str | None = None


def allowed_targets(state: State) -> frozenset[State]:
    return TRANSITIONS[state]


def transition_problems(current: State, change: Transition) -> dict[str, str]:
    """Why ``change`` is not allowed from ``current``, per field (empty: it is allowed)."""
    problems: dict[str, str] = {}
    if change.target == current:
        return {"state": f"The incident is already {current.label.lower()}."}
    if change.target not in TRANSITIONS[current]:
        problems["state"] = (
            f"An incident that is {current.label.lower()} cannot become "
            f"{change.target.label.lower()}."
        )
        return problems
    if change.target == State.ON_HOLD and change.hold_reason is None:
        problems["hold_reason"] = "Say what the incident is waiting for."
    if change.target == State.RESOLVED:
        if not (change.resolution_code or "").strip():
            problems["resolution_code"] = "Choose a resolution code."
        if not (change.resolution_notes or "").strip():
            problems["resolution_notes"] = "Describe how it was resolved."
    return problems


def plain_words(state: State, hold_reason: HoldReason | None = None) -> str:
    """The state as an employee reads it."""
    if state == State.ON_HOLD and hold_reason is not None:
        return HOLD_PLAIN_WORDS[hold_reason]
    return PLAIN_WORDS[state]


WAITING_WORDS = {
    HoldReason.AWAITING_CALLER: "We are waiting for your reply.",
    HoldReason.AWAITING_VENDOR: "We are waiting for a supplier.",
    HoldReason.AWAITING_CHANGE: "We are waiting for a planned change.",
    HoldReason.AWAITING_PROBLEM: "We are waiting for a fix to a known problem.",
}


def plain_change(
    old: str | None,
    new: str,
    *,
    hold_reason: str | None = None,
    resolution_code: str | None = None,
    by_reader: bool = False,
) -> str:
    """A change of state as the employee reading their ticket's timeline says it
    (``by_reader``: they made the change themselves, e.g. by reopening)."""
    target = State(new)
    if target == State.IN_PROGRESS:
        if old == State.RESOLVED:
            return "You reopened this ticket." if by_reader else "The ticket was reopened."
        if old == State.ON_HOLD:
            return (
                "You answered; we are working on it again."
                if by_reader
                else ("We are working on it again.")
            )
        return "An agent is working on your ticket."
    if target == State.ON_HOLD:
        reason = HoldReason(hold_reason) if hold_reason in set(HoldReason) else None
        return WAITING_WORDS[reason] if reason else "Your ticket is on hold."
    if target == State.RESOLVED:
        label = RESOLUTION_CODES.get(resolution_code or "", "")
        return f"Resolved: {label}." if label else "Resolved."
    if target == State.CLOSED:
        return (
            "You confirmed the solution; the ticket is closed."
            if by_reader
            else ("The ticket is closed.")
        )
    if target == State.CANCELED:
        return "The ticket was canceled."
    return PLAIN_WORDS[target] + "."


RESOLUTION_CODES = {
    "solved_permanently": "Solved (permanently)",
    "solved_workaround": "Solved (workaround)",
    "solved_remotely": "Solved remotely",
    "not_reproducible": "Not reproducible",
    "duplicate": "Duplicate of another incident",
    "user_instruction": "User instructed / how-to",
    "resolved_by_caller": "Resolved by the caller",
    "resolved_by_parent": "Resolved with its parent incident",
}
