"""States of requests, request items and catalog tasks, and the task lifecycle (a pure core).

State names follow the ticket core's event vocabulary (``new``, ``in_progress``, ``on_hold``,
``closed``, ``canceled``), so the SLA clock reads a task's or item's ``state_changed`` events
the way it reads an incident's: ``closed`` and ``canceled`` stop it, ``on_hold`` with a pause
reason pauses it. How a closed ticket ended is its close code.

Task lifecycle::

    new ──► in_progress ◄──► on_hold
     │          │               │
     └──────────┴───────────────┴──► closed (complete | incomplete | skipped)
    any open state ──► canceled (only with its item)
"""

from __future__ import annotations

import enum
from collections.abc import Callable

from app.i18n import N_


class RequestState(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    CANCELED = "canceled"


class ItemState(enum.StrEnum):
    PENDING_APPROVAL = "pending_approval"
    IN_PROGRESS = "in_progress"
    CLOSED = "closed"
    CANCELED = "canceled"

    @property
    def is_open(self) -> bool:
        return self in (ItemState.PENDING_APPROVAL, ItemState.IN_PROGRESS)


class TaskState(enum.StrEnum):
    NEW = "new"
    IN_PROGRESS = "in_progress"
    ON_HOLD = "on_hold"
    CLOSED = "closed"
    CANCELED = "canceled"

    @property
    def label(self) -> str:
        """The state in English; pages show ``_(state.label)``."""
        return TASK_STATE_LABELS[self]

    @property
    def is_open(self) -> bool:
        return self in OPEN_TASK_STATES


class CloseCode(enum.StrEnum):
    """How a closed request, item or task ended."""

    COMPLETE = "complete"  # delivered / done
    INCOMPLETE = "incomplete"  # closed without delivering
    SKIPPED = "skipped"  # a task not needed after all (counts as done)
    REJECTED = "rejected"  # an item whose approval was refused

    @property
    def label(self) -> str:
        """How it ended in English; pages show ``_(code.label)``."""
        return CLOSE_CODE_LABELS[self]


class ApprovalState(enum.StrEnum):
    """An item's approval as a whole, and one approver's row."""

    NOT_REQUIRED = "not_required"
    REQUESTED = "requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    CANCELED = "canceled"  # the item was canceled, or another approver's decision settled it


TASK_STATE_LABELS = {
    TaskState.NEW: N_("New"),
    TaskState.IN_PROGRESS: N_("In progress"),
    TaskState.ON_HOLD: N_("On hold"),
    TaskState.CLOSED: N_("Closed"),
    TaskState.CANCELED: N_("Canceled"),
}
CLOSE_CODE_LABELS = {
    CloseCode.COMPLETE: N_("Closed complete"),
    CloseCode.INCOMPLETE: N_("Closed incomplete"),
    CloseCode.SKIPPED: N_("Closed skipped"),
    CloseCode.REJECTED: N_("Rejected"),
}
OPEN_TASK_STATES = frozenset({TaskState.NEW, TaskState.IN_PROGRESS, TaskState.ON_HOLD})
TASK_TRANSITIONS: dict[TaskState, frozenset[TaskState]] = {
    TaskState.NEW: frozenset({TaskState.IN_PROGRESS, TaskState.ON_HOLD, TaskState.CLOSED}),
    TaskState.IN_PROGRESS: frozenset({TaskState.ON_HOLD, TaskState.CLOSED}),
    TaskState.ON_HOLD: frozenset({TaskState.IN_PROGRESS, TaskState.CLOSED}),
    TaskState.CLOSED: frozenset(),
    TaskState.CANCELED: frozenset(),
}
TASK_CLOSE_CODES = (CloseCode.COMPLETE, CloseCode.INCOMPLETE, CloseCode.SKIPPED)


def task_transition_problems(
    current: TaskState,
    target: TaskState,
    *,
    hold_reason: str | None = None,
    close_code: str | None = None,
    close_notes: str | None = None,
    gettext: Callable[..., str] = lambda text, **values: text % values,
) -> dict[str, str]:
    """Why a task may not move from ``current`` to ``target``, per field (empty: it may),
    worded with ``gettext`` (the caller's: the reader's language). Canceling is not a task
    transition: a task is canceled with its item."""
    _ = gettext
    if target == current:
        return {"state": _("The task is already %(state)s.", state=_(current.label).lower())}
    if target not in TASK_TRANSITIONS[current]:
        return {
            "state": _(
                "A task that is %(state)s cannot become %(target)s.",
                state=_(current.label).lower(),
                target=_(target.label).lower(),
            )
        }
    problems: dict[str, str] = {}
    if target == TaskState.ON_HOLD and not hold_reason:
        problems["hold_reason"] = _("Say what the task is waiting for.")
    if target == TaskState.CLOSED:
        if close_code not in {c.value for c in TASK_CLOSE_CODES}:
            problems["close_code"] = _(
                "Choose how the task ended: complete, incomplete or skipped."
            )
        elif close_code != CloseCode.COMPLETE and not (close_notes or "").strip():
            problems["close_notes"] = _("Say why the task was not completed.")
    return problems
