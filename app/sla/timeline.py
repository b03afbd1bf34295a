"""From rows to the pure clock's inputs: ticket events → ``clock_inputs.Event``, rows → calendar
and definition. No writes, no Flask; the SQLAlchemy rows are only read.

Any kind of ticket works that records the ticket core's events: ``created`` (with ``priority``,
optionally ``state``), ``assigned`` (``group_id``), ``priority_changed`` (``new``) and
``state_changed`` (``old``, ``new``, ``hold_reason``) with the shared state names: ``resolved``,
``closed`` and ``canceled`` stop or cancel a clock, ``on_hold`` with a reason may pause it, and
leaving ``resolved`` reopens it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from app.sla.calendar import BusinessCalendar
from app.sla.clock_inputs import Condition, Event, EventKind, SlaDefinition
from app.sla.models import SlaCalendar, SlaKind, SlaPolicy

NO_GROUP = "-"  # the clock's group value for "unassigned" (an empty string would be ignored)

_STATE_KINDS = {
    "resolved": EventKind.RESOLVED,
    "closed": EventKind.CLOSED,
    "canceled": EventKind.CANCELED,
}


@dataclass(frozen=True)
class TicketFacts:
    """The ticket fields the timeline needs besides its events."""

    id: int
    opened_at: datetime
    first_response_at: datetime | None
    priority: int


def group_key(group_id: int | None) -> str:
    return str(group_id) if group_id else NO_GROUP


def to_clock_event(type_: str, at: datetime, data: dict[str, Any]) -> Event | None:
    """One ``TicketEvent`` as a clock event; None for events the clock does not look at."""
    if type_ == "created":
        state = data.get("state") or "new"  # a kind may record its first state (e.g. an item)
        return Event(at, EventKind.OPENED, state=state, priority=data.get("priority"))
    if type_ == "assigned":
        return Event(at, EventKind.ASSIGNED, group=group_key(data.get("group_id")))
    if type_ == "priority_changed" and data.get("new") is not None:
        return Event(at, EventKind.PRIORITY_CHANGED, priority=int(data["new"]))
    if type_ == "state_changed" and data.get("new"):
        new, old = data["new"], data.get("old")
        if new in _STATE_KINDS:
            return Event(at, _STATE_KINDS[new])
        if old == "resolved":
            return Event(at, EventKind.REOPENED, state=new)
        return Event(at, EventKind.STATE_CHANGED, state=new, reason=data.get("hold_reason"))
    return None


def build_timeline(facts: TicketFacts, rows: Iterable[tuple[str, datetime, dict]]) -> list[Event]:
    """The clock timeline of one ticket from its event rows (``type, created_at, data``) in
    order, plus a ``responded`` event at the ticket's ``first_response_at``.

    The opening comes first even when a clumsy import wrote an event before it; events with
    the same instant keep their recorded order (the response goes after them).
    """
    events: list[Event] = []
    for type_, at, data in rows:
        event = to_clock_event(type_, at, data or {})
        if event is not None:
            events.append(event)
    if not events or events[0].kind != EventKind.OPENED:
        opened = Event(facts.opened_at, EventKind.OPENED, state="new", priority=facts.priority)
        events = [opened, *(e for e in events if e.kind != EventKind.OPENED)]
    first = events[0].at
    events = [events[0], *(e if e.at >= first else _moved(e, first) for e in events[1:])]
    if facts.first_response_at is not None:
        events.append(Event(max(facts.first_response_at, first), EventKind.RESPONDED))
    return sorted(events, key=lambda e: e.at)  # stable: same-instant events keep their order


def _moved(event: Event, at: datetime) -> Event:
    return Event(at, event.kind, event.state, event.reason, event.priority, event.group)


def weekly_segments(week: list[Any]) -> tuple[tuple[tuple[str, str], ...], ...]:
    return tuple(tuple((str(s), str(e)) for s, e in day) for day in week)


def business_calendar(row: SlaCalendar) -> BusinessCalendar:
    """The pure calendar of a row, cached by its content (not its id: a rolled-back row's id
    can come back with other hours).

    :raise ValueError: the row is inconsistent (the forms refuse that before it is saved).
    """
    week = weekly_segments(row.week)
    closed = tuple(sorted(row.closed_dates or ()))
    eves = bool(row.include_eves)
    key = (row.zone, week, row.country or None, row.subdivision or None, closed, eves)
    found = _calendars.get(key)
    if found is None:
        if len(_calendars) > 500:
            _calendars.clear()
        found = BusinessCalendar(
            zone=row.zone,
            week=week,
            country=row.country or None,
            subdivision=row.subdivision or None,
            closed_dates=frozenset(date.fromisoformat(d) for d in closed),
            include_eves=eves,
        )
        _calendars[key] = found
    return found


_calendars: dict[tuple, BusinessCalendar] = {}


def definition(policy: SlaPolicy) -> SlaDefinition:
    """The pure definition of a policy.

    Response: stops at the first response (or the resolution); never reopens. Resolution:
    stops when resolved or closed and runs again when the ticket is reopened. Both pause while
    on hold for one of ``pause_reasons`` and are cancelled with the ticket.
    """
    targets = {int(p): timedelta(minutes=int(m)) for p, m in (policy.targets or {}).items()}
    start = (Condition(kinds={EventKind.OPENED}),)
    if policy.start_priorities:
        start = (Condition(priorities={int(p) for p in policy.start_priorities}),)
    pause = ()
    if policy.pause_reasons:
        pause = (Condition(states={"on_hold"}, reasons=set(policy.pause_reasons)),)
    if policy.kind == SlaKind.RESPONSE:
        stop = (Condition(kinds={"responded", "resolved", "closed"}),)
        reopen: tuple[Condition, ...] = ()
    else:
        stop = (Condition(kinds={"resolved", "closed"}),)
        reopen = (Condition(kinds={EventKind.REOPENED}),)
    return SlaDefinition(
        name=policy.name,
        targets=targets,
        start=start,
        pause=pause,
        stop=stop,
        reopen=reopen,
        retroactive_start=policy.retroactive_start,
        warnings=tuple(w / 100 for w in (policy.warnings or ())),
    )
