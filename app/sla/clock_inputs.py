"""What the SLA clock reads: a ticket's timeline of events, conditions over it, SLA definitions.

A pure core (STYLE.md, "Pure cores stay pure"): standard library only, no wall-clock reads. These
are the *inputs* of :mod:`app.sla.clock`; the service layer (:mod:`app.sla.timeline`) builds them
from database rows. Every type validates itself on construction, so a bad timeline or definition
is refused with a specific message before any clock runs.

* :class:`Event` — one entry of the timeline (kind, instant, and the fields that changed).
* :class:`Snapshot` — the ticket's state, on-hold reason, priority and group after a prefix of
  the timeline; conditions are matched against it.
* :class:`Condition` — plain data matched against an event kind and a snapshot (AND within a
  condition, OR over a tuple of them: :func:`any_matches`).
* :class:`SlaDefinition` — targets per priority and the start, pause, resume, stop, cancel and
  reopen conditions of one SLA (or OLA).
* :func:`validate_timeline` — the checks every replay starts with.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import NamedTuple

from app.sla.calendar import ZERO, ensure_utc


class EventKind(StrEnum):
    """What happened to the ticket. Values are what the service layer stores."""

    OPENED = "opened"
    STATE_CHANGED = "state_changed"
    PRIORITY_CHANGED = "priority_changed"
    ASSIGNED = "assigned"
    RESPONDED = "responded"
    RESOLVED = "resolved"
    CLOSED = "closed"
    CANCELED = "canceled"
    REOPENED = "reopened"


_IMPLIED_STATE = {
    EventKind.OPENED: "new",
    EventKind.RESOLVED: "resolved",
    EventKind.CLOSED: "closed",
    EventKind.CANCELED: "canceled",
    EventKind.REOPENED: "in_progress",
}
_REQUIRED = {
    EventKind.STATE_CHANGED: "state",
    EventKind.PRIORITY_CHANGED: "priority",
    EventKind.ASSIGNED: "group",
}


@dataclass(frozen=True)
class Event:
    """One entry of a ticket's timeline. Only the fields that changed are set.

    ``kind`` may be given as its string value (``"opened"``); it is stored as :class:`EventKind`.

    :raise ValueError: naive ``at``, unknown ``kind``, or a missing field its kind requires
        (``state`` for state_changed, ``priority`` for priority_changed, ``group`` for assigned).
    """

    at: datetime
    kind: EventKind
    state: str | None = None
    reason: str | None = None
    priority: int | None = None
    group: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "at", ensure_utc(self.at, "event time"))
        try:
            object.__setattr__(self, "kind", EventKind(self.kind))
        except ValueError:
            raise ValueError(f"unknown event kind {self.kind!r}") from None
        needed = _REQUIRED.get(self.kind)
        if needed and getattr(self, needed) is None:
            raise ValueError(f"a {self.kind} event needs {needed}")


class Snapshot(NamedTuple):
    """The ticket's fields that conditions look at, after some prefix of the timeline.

    Immutable; a named tuple rather than a dataclass because a replay builds one per event.
    """

    state: str | None = None
    reason: str | None = None
    priority: int | None = None
    group: str | None = None

    def apply(self, event: Event) -> Snapshot:
        """The snapshot after ``event``; a new state replaces the reason (None clears it)."""
        state, reason = self.state, self.reason
        new_state = event.state or _IMPLIED_STATE.get(event.kind)
        if new_state is not None:
            state, reason = new_state, event.reason
        priority = self.priority if event.priority is None else event.priority
        return Snapshot(state, reason, priority, event.group or self.group)


@dataclass(frozen=True)
class Condition:
    """Matches when every non-empty field contains the event kind / snapshot value (AND).

    A tuple of conditions matches when any of them does (OR). Example, pause while on hold
    awaiting the caller or a vendor: ``Condition(states={"on_hold"}, reasons={"awaiting_caller",
    "awaiting_vendor"})``.

    :raise ValueError: every field is empty (a condition matching everything is a mistake).
    """

    kinds: frozenset[str] = frozenset()
    states: frozenset[str] = frozenset()
    reasons: frozenset[str] = frozenset()
    priorities: frozenset[int] = frozenset()
    groups: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        for name in ("kinds", "states", "reasons", "priorities", "groups"):
            object.__setattr__(self, name, frozenset(getattr(self, name)))
        unknown = self.kinds - set(EventKind)
        if unknown:
            raise ValueError(f"unknown event kinds in condition: {sorted(unknown)}")
        if not (self.kinds or self.states or self.reasons or self.priorities or self.groups):
            raise ValueError("a condition must constrain at least one field")

    def matches(self, kind: str, snap: Snapshot) -> bool:
        """Whether the event ``kind`` leading to ``snap`` satisfies the condition."""
        return (
            (not self.kinds or kind in self.kinds)
            and (not self.states or snap.state in self.states)
            and (not self.reasons or snap.reason in self.reasons)
            and (not self.priorities or snap.priority in self.priorities)
            and (not self.groups or snap.group in self.groups)
        )


def any_matches(conditions: Iterable[Condition], kind: str, snap: Snapshot) -> bool:
    """Whether any of ``conditions`` matches (an empty tuple never does)."""
    for condition in conditions:  # noqa: SIM110  (a plain loop: this runs for every event)
        if condition.matches(kind, snap):
            return True
    return False


AWAITING_CALLER_OR_VENDOR = Condition(
    states={"on_hold"}, reasons={"awaiting_caller", "awaiting_vendor"}
)


@dataclass(frozen=True)
class SlaDefinition:
    """What one SLA (or OLA) measures: targets per priority and the conditions driving the clock.

    ``targets`` maps priority → business-time target. ``warnings`` are fractions of the target
    (default 50 % and 75 %); the breach is always at 100 %. A resolution SLA typically has
    ``stop=(Condition(kinds={"resolved", "closed"}),)`` and ``pause=(AWAITING_CALLER_OR_VENDOR,)``;
    a response SLA ``stop=(Condition(kinds={"responded", "resolved"}),)`` and ``reopen=()``.

    :raise ValueError: no targets, a zero or negative target, no start condition, or a warning
        threshold outside (0, 1).
    """

    name: str
    targets: Mapping[int, timedelta]
    start: tuple[Condition, ...] = (Condition(kinds={EventKind.OPENED}),)
    pause: tuple[Condition, ...] = ()
    resume: tuple[Condition, ...] = ()
    stop: tuple[Condition, ...] = ()
    cancel: tuple[Condition, ...] = (Condition(kinds={EventKind.CANCELED}),)
    reopen: tuple[Condition, ...] = (Condition(kinds={EventKind.REOPENED}),)
    retroactive_start: bool = False
    warnings: tuple[float, ...] = (0.5, 0.75)

    def __post_init__(self) -> None:
        if not self.targets:
            raise ValueError(f"SLA {self.name!r} has no targets")
        for priority, target in self.targets.items():
            if target <= ZERO:
                raise ValueError(f"SLA {self.name!r}: target for priority {priority} must be > 0")
        if not self.start:
            raise ValueError(f"SLA {self.name!r} has no start condition")
        if any(not 0 < w < 1 for w in self.warnings):
            raise ValueError(f"SLA {self.name!r}: warning thresholds must be between 0 and 1")
        object.__setattr__(self, "targets", MappingProxyType(dict(self.targets)))
        object.__setattr__(self, "warnings", tuple(sorted(set(self.warnings))))
        for name in ("start", "pause", "resume", "stop", "cancel", "reopen"):
            object.__setattr__(self, name, tuple(getattr(self, name)))

    def target_for(self, priority: int | None) -> timedelta:
        """The target for ``priority``.

        :raise ValueError: the definition has no target for it.
        """
        try:
            return self.targets[priority]  # type: ignore[index]
        except KeyError:
            raise ValueError(f"SLA {self.name!r} has no target for priority {priority}") from None


def validate_timeline(events: Sequence[Event]) -> tuple[Event, ...]:
    """Check a timeline: non-empty, starts with ``opened``, chronological, aware instants.

    :raise ValueError: with the offending position and instants.
    """
    if not events:
        raise ValueError("a timeline needs at least the 'opened' event")
    for i, event in enumerate(events):
        if not isinstance(event, Event):
            raise ValueError(f"event {i} is a {type(event).__name__}, not an Event")
        ensure_utc(event.at, f"event {i} time")
        if i and event.at < events[i - 1].at:
            raise ValueError(
                f"events out of order: event {i} ({event.kind} at {event.at.isoformat()}) is "
                f"before event {i - 1} ({events[i - 1].kind} at {events[i - 1].at.isoformat()})"
            )
    if events[0].kind != EventKind.OPENED:
        raise ValueError(f"a timeline must start with 'opened', not {events[0].kind!r}")
    return tuple(events)
