"""The SLA clock: a pure, replayable function of a calendar, a definition, a timeline and ``now``.

A pure core (STYLE.md, "Pure cores stay pure"): no Flask, no database, no wall-clock reads. Its
inputs (events, conditions, definitions) live in :mod:`app.sla.clock_inputs`; this module holds
the computation and its results. The service layer turns a ticket's event log into
:class:`~app.sla.clock_inputs.Event` values, a policy into an
:class:`~app.sla.clock_inputs.SlaDefinition`, calls :func:`compute_clock` (or
:func:`group_clocks` for OLAs) and stores the :class:`ClockResult`. Same inputs give the same
result, so ``flask sla replay`` can recompute any stored record and compare.

Semantics, in short:

* The ticket's state is replayed event by event into a
  :class:`~app.sla.clock_inputs.Snapshot` (state, on-hold reason, priority, group). Conditions
  are plain data matched against the event kind and that snapshot.
* The clock starts at the first event matching ``start``; with ``retroactive_start`` it counts
  from the ticket's opening instead (pauses before the start are then honoured too).
* While running it accumulates business time on the calendar; while a ``pause`` condition holds
  (until a ``resume`` condition holds, if any are given) it accumulates *paused* time instead.
* ``cancel`` ends it for good; ``stop`` ends it (met or breached) until a ``reopen`` event.
* The target is the one for the *current* priority; a change keeps elapsed and paused time.
* Warning thresholds and the breach (100 %) are crossed once each, at the earliest instant the
  elapsed time reached them; a later, longer target does not undo them. Reaching exactly 100 %
  is a breach.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from enum import StrEnum
from functools import lru_cache
from typing import Any

from app.i18n import N_
from app.i18n.stored import render, stored
from app.sla.calendar import ZERO, BusinessCalendar, ensure_utc
from app.sla.clock_inputs import (
    Event,
    EventKind,
    SlaDefinition,
    Snapshot,
    any_matches,
    validate_timeline,
)


class Stage(StrEnum):
    """Where the clock stands. ``breached`` wins over paused/in progress/met; cancelled wins all."""

    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    PAUSED = "paused"
    MET = "met"
    BREACHED = "breached"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class Crossing:
    """A threshold (fraction of the target) and the instant the elapsed time reached it."""

    threshold: float
    at: datetime


Part = str | datetime | tuple[datetime, datetime]
"""A piece of an explanation line: text, an instant, or a span ``(start, end)``."""


@dataclass(frozen=True)
class Note:
    """One line of the clock's explanation, for the ticket's SLA timeline.

    ``message`` is the line as stored (:func:`app.i18n.stored.stored`: an English message with
    its instants, spans and durations as parameters) so that a page words it in its reader's
    language and shows the instants in the reader's time zone; ``text`` is the same line in
    English on the calendar's wall clock (``YYYY-MM-DD HH:MM``), for the command line and logs.
    """

    at: datetime
    kind: str
    text: str
    message: Mapping[str, Any]


# What an explanation names, for the catalogs: the events' kinds and the hold reasons (as the
# clock writes them, lower case); a page translates them as it shows the line.
EVENT_WORDS = (
    N_("opened"),
    N_("state_changed"),
    N_("priority_changed"),
    N_("assigned"),
    N_("responded"),
    N_("resolved"),
    N_("closed"),
    N_("canceled"),
    N_("reopened"),
)
REASON_WORDS = (
    N_("on hold"),
    N_("awaiting caller"),
    N_("awaiting vendor"),
    N_("awaiting change"),
    N_("awaiting problem"),
)


def stored_parts(parts: Sequence[Part]) -> list[Any]:
    """A line's parts as JSON: text as is, ``{"at": iso}`` and ``{"from": iso, "until": iso}``."""
    out: list[Any] = []
    for p in parts:
        if isinstance(p, datetime):
            out.append({"at": p.isoformat()})
        elif isinstance(p, tuple):
            out.append({"from": p[0].isoformat(), "until": p[1].isoformat()})
        else:
            out.append(p)
    return out


def parts_from_stored(line: str | Sequence[Any]) -> tuple[Part, ...]:
    """The reverse of :func:`stored_parts` (lines stored before they were messages); a line
    stored as plain text stays one text part."""
    if isinstance(line, str):
        return (line,)
    parts: list[Part] = []
    for p in line:
        if isinstance(p, dict) and "at" in p:
            parts.append(datetime.fromisoformat(p["at"]))
        elif isinstance(p, dict):
            parts.append((datetime.fromisoformat(p["from"]), datetime.fromisoformat(p["until"])))
        else:
            parts.append(str(p))
    return tuple(parts)


def wall_clock(at: datetime, zone: tzinfo) -> str:
    """``at`` on the wall clock of ``zone``, as ``YYYY-MM-DD HH:MM`` (no zone: the command
    line's and the logs' text; pages format the parts for their reader)."""
    return at.astimezone(zone).isoformat(" ", "minutes")[:16]


def plain_text(parts: Sequence[Part], zone: tzinfo) -> str:
    """A line's parts as text on the wall clock of ``zone``; a span leaves the end's date out
    on the same day (``2026-03-02 09:00–11:30``)."""
    text = ""
    for p in parts:
        if isinstance(p, datetime):
            text += wall_clock(p, zone)
        elif isinstance(p, tuple):
            first, last = wall_clock(p[0], zone), wall_clock(p[1], zone)
            text += f"{first}–{last[11:] if last[:10] == first[:10] else last}"
        else:
            text += p
    return text


def _wall_clock_arg(zone: tzinfo) -> Any:
    """How :func:`line_text` shows a parameter: instants and spans as :func:`plain_text` does,
    durations as the clock writes them."""

    def show(value: Any) -> Any:
        if isinstance(value, datetime | tuple):
            return plain_text((value,), zone)
        if isinstance(value, timedelta):
            return _fmt(value)
        return value

    return show


def line_text(line: Any, zone: tzinfo) -> str:
    """A stored line in English on the wall clock of ``zone``, whichever way it was stored: a
    message (now), a list of parts (before), or plain text (before that)."""
    if isinstance(line, str):
        return line
    if isinstance(line, Mapping):
        return str(render(line, _english, _wall_clock_arg(zone)))
    return plain_text(parts_from_stored(line), zone)


def _english(msg: str) -> str:
    return msg


@dataclass(frozen=True)
class ClockResult:
    """The clock as of ``as_of``. Durations are business time on the calendar.

    Invariants: ``remaining == max(target - elapsed, 0)``; ``percentage == 100 * elapsed /
    target``; ``breached_at`` is set iff the ``1.0`` crossing happened, and then ``due_at ==
    breached_at``; otherwise ``due_at`` is None while paused, cancelled or not started, is
    ``now`` plus ``remaining`` on the calendar while running, and the due time as of the stop
    for a stopped clock. ``started_at`` is when the start condition matched, ``counted_from``
    where counting began (the opening, with a retroactive start).
    """

    name: str
    as_of: datetime
    stage: Stage
    priority: int | None = None
    target: timedelta | None = None
    elapsed: timedelta = ZERO
    paused: timedelta = ZERO
    remaining: timedelta | None = None
    percentage: float = 0.0
    started_at: datetime | None = None
    counted_from: datetime | None = None
    stopped_at: datetime | None = None
    due_at: datetime | None = None
    breached_at: datetime | None = None
    warnings: tuple[Crossing, ...] = ()
    notes: tuple[Note, ...] = ()

    @property
    def explanation(self) -> list[str]:
        """The notes as plain text lines, in time order."""
        return [note.text for note in self.notes]

    @property
    def stored_explanation(self) -> list[Mapping[str, Any]]:
        """The notes as stored (see :func:`app.i18n.stored.stored`), in time order."""
        return [note.message for note in self.notes]


@dataclass(frozen=True)
class GroupClock:
    """An OLA clock over one stint of the ticket in ``group`` (``left_at`` None: still there)."""

    group: str
    entered_at: datetime
    left_at: datetime | None
    clock: ClockResult


def _until(events: Sequence[Event], now: datetime) -> tuple[tuple[Event, ...], datetime]:
    """Validate the timeline and ``now``; keep the events up to ``now`` (replay as of ``now``)."""
    events, now = validate_timeline(events), ensure_utc(now, "now")
    if now < events[0].at:
        raise ValueError(f"now {now.isoformat()} is before the ticket was opened")
    return tuple(e for e in events if e.at <= now), now


def compute_clock(
    calendar: BusinessCalendar, definition: SlaDefinition, events: Sequence[Event], now: datetime
) -> ClockResult:
    """Replay ``events`` up to ``now`` and return the clock. Events after ``now`` are ignored.

    :raise ValueError: a bad timeline (see :func:`validate_timeline`), a naive ``now``, ``now``
        before the opening, or no target for the ticket's priority once the clock runs.
    """
    events, now = _until(events, now)
    return _replay(calendar, definition, events, now)


def group_clocks(
    calendar: BusinessCalendar,
    definitions: Mapping[str, SlaDefinition],
    events: Sequence[Event],
    now: datetime,
) -> tuple[GroupClock, ...]:
    """OLA clocks: one per stint of the ticket in a group that has a definition.

    A stint begins at the opening or at an ``assigned`` event to another group and ends at the
    next such event; the clock counts only within the stint (started at its entry, as if the
    ticket were opened then with its current state) and stops on leaving. Returning to a group
    later starts a new clock.

    :raise ValueError: as :func:`compute_clock`.
    """
    events, now = _until(events, now)
    stints: list[tuple[int, Snapshot]] = []
    snap = Snapshot()
    for i, event in enumerate(events):
        before, snap = snap, snap.apply(event)
        if i == 0 or snap.group != before.group:
            stints.append((i, snap))
    result = []
    for n, (index, snap) in enumerate(stints):
        leave = stints[n + 1][0] if n + 1 < len(stints) else None
        if snap.group not in definitions:
            continue
        entered = events[index].at
        left = events[leave].at if leave is not None else None
        opened = Event(
            entered, EventKind.OPENED, snap.state, snap.reason, snap.priority, snap.group
        )
        sub = [opened, *events[index + 1 : leave]]
        clock = _replay(
            calendar,
            definitions[snap.group],
            sub,
            left or now,
            left_group=snap.group if left else None,
        )
        result.append(GroupClock(snap.group, entered, left, clock))  # type: ignore[arg-type]
    return tuple(result)


@lru_cache(maxsize=4096)  # the same few targets and durations recur in every explanation
def _fmt(value: timedelta) -> str:
    hours, minutes = divmod(int(value.total_seconds() // 60), 60)
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"


class _Replay:
    """Mutable accumulators of one replay; private to :func:`_replay`."""

    def __init__(self, calendar: BusinessCalendar, definition: SlaDefinition) -> None:
        self.cal, self.d = calendar, definition
        self.thresholds = (*definition.warnings, 1.0)
        self.elapsed = self.paused = self.pause_time = ZERO
        self.target = ZERO
        self.crossed: dict[float, datetime] = {}
        self.notes: list[Note] = []
        self.pause_from: datetime | None = None
        self.pause_reason: str | None = None
        self.stopped_at: datetime | None = None

    def note(self, when: datetime, kind: str, msg: str, /, **args: Any) -> None:
        message = stored(msg, **args)
        self.notes.append(Note(when, kind, line_text(message, self.cal.tz), message))

    def record(self, threshold: float, at: datetime) -> None:
        self.crossed[threshold] = at
        if threshold == 1.0:
            self.note(at, "breached", N_("breached at %(at)s (%(target)s target)"), at=at,
                      target=self.target)  # fmt: skip
        else:
            self.note(
                at,
                "warning",
                N_("%(percent)d%% reached at %(at)s (%(target)s target)"),
                percent=round(threshold * 100),
                at=at,
                target=self.target,
            )

    def cross(self, at: datetime) -> None:
        """Record thresholds the elapsed time already reaches at ``at`` (after a target change)."""
        for threshold in self.thresholds:
            if threshold not in self.crossed and self.elapsed >= self.target * threshold:
                self.record(threshold, at)

    def advance(self, phase: str, start: datetime, end: datetime) -> None:
        """Account the span ``[start, end)`` spent in ``phase`` (a stopped span is measured
        only if the clock is reopened: see :func:`_replay`)."""
        if end <= start or phase in ("waiting", "cancelled", "stopped"):
            return
        business = self.cal.business_time(start, end)
        if phase == "running":
            for threshold in self.thresholds:
                goal = self.target * threshold
                if threshold not in self.crossed and self.elapsed + business >= goal:
                    left = max(goal - self.elapsed, ZERO)
                    self.record(threshold, self.cal.add_business_time(start, left))
            self.elapsed += business
        else:
            self.paused += business
            self.pause_time += business

    def end_pause(self, at: datetime | None) -> None:
        """Close the current pause run (``at`` None: still paused) with its explanation."""
        if self.pause_from is None:
            return
        reason = stored((self.pause_reason or "on hold").replace("_", " "))
        if at is None:
            since = self.pause_from
            msg = N_(
                "paused since %(at)s %(reason)s, %(not_counted)s of business time not counted"
                " so far"
            )
            self.note(since, "paused", msg, at=since, reason=reason, not_counted=self.pause_time)
        else:
            msg = N_("paused %(span)s %(reason)s, %(not_counted)s of business time not counted")
            span = (self.pause_from, at)
            self.note(span[0], "paused", msg, span=span, reason=reason, not_counted=self.pause_time)
        self.pause_from, self.pause_time = None, ZERO


def _replay(
    cal: BusinessCalendar,
    d: SlaDefinition,
    events: Sequence[Event],
    end: datetime,
    left_group: str | None = None,
) -> ClockResult:
    """Replay a validated timeline (all events at or before ``end``) into a result."""
    start, start_index = Snapshot(), None
    for i, event in enumerate(events):
        start = start.apply(event)
        if any_matches(d.start, event.kind, start):
            start_index = i
            break
    if start_index is None:
        return ClockResult(d.name, end, Stage.NOT_STARTED)
    first = 0 if d.retroactive_start else start_index
    r, phase, snap, previous = _Replay(cal, d), "waiting", Snapshot(), events[0].at
    for i, event in enumerate(events):
        r.advance(phase, previous, event.at)
        previous, at = event.at, event.at
        before, snap = snap, snap.apply(event)
        if i == first:
            r.target, phase = d.target_for(start.priority), "running"
            target = {"target": r.target, "priority": start.priority}
            if first == start_index:
                msg = N_("started %(at)s (%(event)s); target %(target)s for priority %(priority)s")
                r.note(at, "started", msg, at=at, event=stored(str(event.kind)), **target)
            else:
                trigger = events[start_index]
                msg = N_(
                    "start condition met %(met_at)s (%(event)s), counted from %(at)s (retroactive"
                    " start); target %(target)s for priority %(priority)s"
                )
                r.note(at, "started", msg, met_at=trigger.at, event=stored(str(trigger.kind)),
                       at=at, **target)  # fmt: skip
        elif phase == "waiting":
            continue
        elif (
            i > start_index and phase in ("running", "paused") and snap.priority != before.priority
        ):
            old, r.target = r.target, d.target_for(snap.priority)
            msg = N_(
                "priority %(old)s → %(new)s at %(at)s: target %(old_target)s → %(new_target)s,"
                " %(elapsed)s already elapsed kept"
            )
            r.note(at, "priority", msg, old=before.priority, new=snap.priority, at=at,
                   old_target=old, new_target=r.target, elapsed=r.elapsed)  # fmt: skip
            r.cross(at)
        if phase == "cancelled" or (
            phase == "stopped" and not any_matches(d.reopen, event.kind, snap)
        ):
            continue
        if phase == "stopped":
            since_stop = cal.business_time(r.stopped_at, at)  # type: ignore[arg-type]
            r.target, phase, r.stopped_at = d.target_for(snap.priority), "running", None
            msg = N_("reopened %(at)s; %(not_counted)s of business time since the stop not counted")
            r.note(at, "reopened", msg, at=at, not_counted=since_stop)
        for conditions, new_phase in ((d.cancel, "cancelled"), (d.stop, "stopped")):
            if any_matches(conditions, event.kind, snap):
                r.end_pause(at)
                phase, r.stopped_at = new_phase, at
                msg = (
                    N_("cancelled at %(at)s (%(event)s)")
                    if new_phase == "cancelled"
                    else N_("stopped at %(at)s (%(event)s)")
                )
                r.note(at, new_phase, msg, at=at, event=stored(str(event.kind)))
                break
        else:
            if phase == "paused" and d.resume:
                paused = not any_matches(d.resume, event.kind, snap)
            else:
                paused = any_matches(d.pause, event.kind, snap)
            if phase == "paused" and (not paused or snap.reason != r.pause_reason):
                r.end_pause(at)
            if paused and r.pause_from is None:
                r.pause_from, r.pause_reason = at, snap.reason
            phase = "paused" if paused else "running"
    r.advance(phase, previous, end)
    if left_group and phase in ("running", "paused"):
        r.end_pause(end)
        phase, r.stopped_at = "stopped", end
        r.note(end, "stopped", N_("stopped at %(at)s: left %(group)s"), at=end, group=left_group)
    r.end_pause(None)
    remaining = max(r.target - r.elapsed, ZERO)
    breached_at = r.crossed.get(1.0)
    due_at = None
    if phase == "running":
        due_at = breached_at or cal.add_business_time(end, remaining)
    elif phase == "stopped":
        due_at = breached_at or cal.add_business_time(r.stopped_at, remaining)  # type: ignore[arg-type]
    if phase == "cancelled":
        stage = Stage.CANCELLED
    elif breached_at is not None:
        stage = Stage.BREACHED
    else:
        stage = {"stopped": Stage.MET, "paused": Stage.PAUSED}.get(phase, Stage.IN_PROGRESS)
    return ClockResult(
        name=d.name,
        as_of=end,
        stage=stage,
        priority=snap.priority,
        target=r.target,
        elapsed=r.elapsed,
        paused=r.paused,
        remaining=remaining,
        percentage=100 * (r.elapsed / r.target),
        started_at=events[start_index].at,
        counted_from=events[first].at,
        stopped_at=r.stopped_at,
        due_at=due_at,
        breached_at=breached_at,
        warnings=tuple(Crossing(t, r.crossed[t]) for t in d.warnings if t in r.crossed),
        notes=tuple(sorted(r.notes, key=lambda note: note.at)),
    )
