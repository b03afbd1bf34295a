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

from app.i18n import N_
from app.tickets.holds import HoldReason
from app.tickets.wording import Translate, english


class State(enum.StrEnum):
    NEW = "new"
    IN_PROGRESS = "in_progress"
    ON_HOLD = "on_hold"
    RESOLVED = "resolved"
    CLOSED = "closed"
    CANCELED = "canceled"

    @property
    def label(self) -> str:
        """The state in English; pages show ``_(state.label)``."""
        return STATE_LABELS[self]

    @property
    def is_open(self) -> bool:
        return self in OPEN_STATES


STATE_LABELS = {
    State.NEW: N_("New"),
    State.IN_PROGRESS: N_("In progress"),
    State.ON_HOLD: N_("On hold"),
    State.RESOLVED: N_("Resolved"),
    State.CLOSED: N_("Closed"),
    State.CANCELED: N_("Canceled"),
}
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
    State.NEW: N_("Received, waiting for an agent"),
    State.IN_PROGRESS: N_("Being worked on"),
    State.ON_HOLD: N_("On hold"),
    State.RESOLVED: N_("Solved: please confirm"),
    State.CLOSED: N_("Closed"),
    State.CANCELED: N_("Canceled"),
}
HOLD_PLAIN_WORDS = {
    HoldReason.AWAITING_CALLER: N_("Waiting for your answer"),
    HoldReason.AWAITING_VENDOR: N_("Waiting for a supplier"),
    HoldReason.AWAITING_CHANGE: N_("Waiting for a planned change"),
    HoldReason.AWAITING_PROBLEM: N_("Waiting for a fix to a known problem"),
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


def transition_problems(
    current: State, change: Transition, _: Translate = english
) -> dict[str, str]:
    """Why ``change`` is not allowed from ``current``, per field (empty: it is allowed), worded
    by ``_`` (services pass gettext)."""
    problems: dict[str, str] = {}
    if change.target == current:
        return {"state": _("The incident is already %(state)s.", state=_(current.label).lower())}
    if change.target not in TRANSITIONS[current]:
        problems["state"] = _(
            "An incident that is %(state)s cannot become %(target)s.",
            state=_(current.label).lower(),
            target=_(change.target.label).lower(),
        )
        return problems
    if change.target == State.ON_HOLD and change.hold_reason is None:
        problems["hold_reason"] = _("Say what the incident is waiting for.")
    if change.target == State.RESOLVED:
        if not (change.resolution_code or "").strip():
            problems["resolution_code"] = _("Choose a resolution code.")
        if not (change.resolution_notes or "").strip():
            problems["resolution_notes"] = _("Describe how it was resolved.")
    return problems


def plain_words(state: State, hold_reason: HoldReason | None = None, _: Translate = english) -> str:
    """The state as an employee reads it."""
    if state == State.ON_HOLD and hold_reason is not None:
        return _(HOLD_PLAIN_WORDS[hold_reason])
    return _(PLAIN_WORDS[state])


WAITING_WORDS = {
    HoldReason.AWAITING_CALLER: N_("We are waiting for your reply."),
    HoldReason.AWAITING_VENDOR: N_("We are waiting for a supplier."),
    HoldReason.AWAITING_CHANGE: N_("We are waiting for a planned change."),
    HoldReason.AWAITING_PROBLEM: N_("We are waiting for a fix to a known problem."),
}


def plain_change(
    old: str | None,
    new: str,
    *,
    hold_reason: str | None = None,
    resolution_code: str | None = None,
    by_reader: bool = False,
    _: Translate = english,
) -> str:
    """A change of state as the employee reading their ticket's timeline says it
    (``by_reader``: they made the change themselves, e.g. by reopening)."""
    target = State(new)
    if target == State.IN_PROGRESS:
        if old == State.RESOLVED:
            return _("You reopened this ticket.") if by_reader else _("The ticket was reopened.")
        if old == State.ON_HOLD:
            return (
                _("You answered; we are working on it again.")
                if by_reader
                else _("We are working on it again.")
            )
        return _("An agent is working on your ticket.")
    if target == State.ON_HOLD:
        reason = HoldReason(hold_reason) if hold_reason in set(HoldReason) else None
        return _(WAITING_WORDS[reason]) if reason else _("Your ticket is on hold.")
    if target == State.RESOLVED:
        label = RESOLUTION_CODES.get(resolution_code or "", "")
        return _("Resolved: %(code)s.", code=_(label)) if label else _("Resolved.")
    if target == State.CLOSED:
        return (
            _("You confirmed the solution; the ticket is closed.")
            if by_reader
            else _("The ticket is closed.")
        )
    if target == State.CANCELED:
        return _("The ticket was canceled.")
    return _("%(state)s.", state=_(PLAIN_WORDS[target]))


RESOLUTION_CODES = {
    "solved_permanently": N_("Solved (permanently)"),
    "solved_workaround": N_("Solved (workaround)"),
    "solved_remotely": N_("Solved remotely"),
    "not_reproducible": N_("Not reproducible"),
    "duplicate": N_("Duplicate of another incident"),
    "user_instruction": N_("User instructed / how-to"),
    "resolved_by_caller": N_("Resolved by the caller"),
    "resolved_by_parent": N_("Resolved with its parent incident"),
}
