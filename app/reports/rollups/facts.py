"""Keep ``report_ticket_facts`` and ``report_daily`` in step with the tickets.

:func:`refresh_facts` recomputes the fact rows of some tickets, then moves the daily rollup by
the difference between each ticket's old and new contribution (counts and sums only, so
concurrent transactions add to the same row without losing each other's work: the increments
are ``INSERT ... ON CONFLICT DO UPDATE SET n = n + excluded.n`` on both databases).
:func:`rebuild` recomputes everything from the tickets (``flask reports rollup``). Both flush,
never commit.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from functools import cache
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Table, case, delete, func, insert, inspect, select

from app import commit_writes
from app.db import is_postgresql, upsert
from app.extensions import db
from app.incidents.models import Incident
from app.reports.rollups.agents import rebuild_agents, refresh_agents
from app.reports.rollups.buckets import bucket
from app.reports.rollups.durations import DONE_STATES, is_first_contact, local_day, ticket_durations
from app.reports.rollups.hooks import NEW_TICKETS
from app.reports.rollups.models import (
    COUNTERS,
    DIMENSIONS,
    DURATIONS,
    DailyChannels,
    DailyRollup,
    MonthlyDurations,
    TicketFact,
)
from app.reports.rollups.upsert import add_rows, together, write
from app.reports.scope import report_zone
from app.requests.models import CatalogTask, RequestItem
from app.sla.calendar import BusinessCalendar
from app.sla.hooks import ACTIVE_POLICIES
from app.sla.models import SlaKind
from app.sla.services import active_policies
from app.sla.timeline import business_calendar
from app.tickets.event_hooks import kept_event_rows, kept_for_hooks
from app.tickets.models import Ticket, TicketEvent

BATCH = 500
FACTS = cast(Table, TicketFact.__table__)
DAILY = cast(Table, DailyRollup.__table__)
MONTHLY = cast(Table, MonthlyDurations.__table__)
MONTHLY_KEY = ("duration", "kind", "month", "group_id", "bucket")
CHANNELS = cast(Table, DailyChannels.__table__)
CHANNEL_KEY = ("day", "kind", "group_id", "channel")
FACT_COLUMNS = tuple(c.name for c in TicketFact.__table__.columns)
Key = tuple[Any, ...]


def queue_calendars() -> dict[int, BusinessCalendar]:
    """Each queue's calendar: that of its active resolution policy (else any active policy),
    the lowest id first. A queue without a policy counts business time around the clock.
    The active policies the SLA hook read in this commit are not read again."""
    kept = kept_for_hooks(db.session(), ACTIVE_POLICIES)
    chosen: dict[int, tuple[bool, BusinessCalendar]] = {}
    for policy in kept if kept is not None else active_policies():
        group_id, preferred = policy.group_id, policy.kind == SlaKind.RESOLUTION
        if group_id not in chosen or (preferred and not chosen[group_id][0]):
            chosen[group_id] = (preferred, business_calendar(policy.calendar))
    return {group_id: calendar for group_id, (_, calendar) in chosen.items()}


ALWAYS_OPEN = BusinessCalendar.always_open("UTC")


# What a ticket's facts are computed from, in the order compute_facts unpacks them: read by
# _ticket_rows (then the catalog item), or taken from a new incident by _opened_row.
TICKET_COLUMNS = (
    "id",
    "kind",
    "state",
    "channel",
    "assignment_group_id",
    "assignee_id",
    "priority",
    "opened_at",
    "first_response_at",
    "resolved_at",
    "closed_at",
    "reopen_count",
    "reassignment_count",
    "category",
    "affected_service",
)


def _ticket_rows(ids: Sequence[int]) -> list[Any]:
    """The tickets' :data:`TICKET_COLUMNS` (a ticket's, else its incident's), then the catalog
    item of a requested item or of a catalog task's item."""
    # Plain tables: the subclasses' mappers would join ``tickets`` again for each of them.
    tickets, incidents, items = Ticket.__table__, Incident.__table__, RequestItem.__table__
    tasks, task_items = CatalogTask.__table__, RequestItem.__table__.alias("task_items")
    columns = [(tickets if name in tickets.c else incidents).c[name] for name in TICKET_COLUMNS]
    return list(
        db.session.execute(
            select(
                *columns,
                func.coalesce(items.c.catalog_item_id, task_items.c.catalog_item_id),
            )
            .select_from(tickets)
            .outerjoin(incidents, incidents.c.id == tickets.c.id)
            .outerjoin(items, items.c.id == tickets.c.id)
            .outerjoin(tasks, tasks.c.id == tickets.c.id)
            .outerjoin(task_items, task_items.c.id == tasks.c.item_id)
            .where(tickets.c.id.in_(ids))
        )
    )


STATE_EVENTS = ("created", "state_changed")


def _state_changes(ids: Sequence[int]) -> dict[int, list[tuple[str, datetime, dict]]]:
    """The ``created`` and ``state_changed`` events of these tickets, oldest first; those the
    SLA hook read in this commit are not read again."""
    out: dict[int, list[tuple[str, datetime, dict]]] = defaultdict(list)
    kept = kept_event_rows(db.session())
    for ticket_id in ids:
        for type_, at, data in kept.get(ticket_id, ()):
            if type_ in STATE_EVENTS:
                out[ticket_id].append((type_, at, data or {}))
    missing = [i for i in ids if i not in kept]
    if not missing:
        return out
    rows = db.session.execute(
        select(TicketEvent.ticket_id, TicketEvent.type, TicketEvent.created_at, TicketEvent.data)
        .where(TicketEvent.ticket_id.in_(missing), TicketEvent.type.in_(STATE_EVENTS))
        .order_by(TicketEvent.ticket_id, TicketEvent.created_at, TicketEvent.id)
    )
    for ticket_id, type_, at, data in rows:
        out[ticket_id].append((type_, at, data or {}))
    return out


Opened = dict[int, tuple[Ticket, list[TicketEvent]]]


def _opened_row(ticket: Ticket) -> tuple[Any, ...] | None:
    """An incident inserted in this transaction as :func:`_ticket_rows` reads it, from the
    instance (no catalog item); None when it must be read: not an incident, gone, or a column
    expired (a server default after the insert). A column its insert left unset and without
    a default holds NULL."""
    state = inspect(ticket)
    if not isinstance(ticket, Incident) or not state.persistent:
        return None
    if state.expired_attributes.intersection(TICKET_COLUMNS):
        return None
    values = []
    for name in TICKET_COLUMNS:
        if name in state.dict:
            values.append(state.dict[name])
            continue
        column = state.mapper.columns[name]
        if column.default is not None or column.server_default is not None:
            return None
        values.append(None)
    return (*values, None)


def _opened_events(events: list[TicketEvent]) -> list[tuple[str, datetime, dict]] | None:
    """The ``created`` / ``state_changed`` events of a ticket inserted in this transaction,
    from the events its flushes wrote (all it has), oldest first; None when one is gone."""
    if any(not inspect(event).persistent for event in events):
        return None
    ordered = sorted(events, key=lambda event: (event.created_at, event.id))
    return [(e.type, e.created_at, e.data or {}) for e in ordered if e.type in STATE_EVENTS]


def compute_facts(
    ids: Sequence[int],
    calendars: dict[int, BusinessCalendar] | None = None,
    opened: Opened | None = None,
) -> list[dict[str, Any]]:
    """The fact rows (as column dicts) of the tickets ``ids`` that exist, from their fields and
    their ``created`` / ``state_changed`` events; those of ``opened``, tickets this transaction
    inserted with the events it wrote for them, from memory where it can."""
    calendars = queue_calendars() if calendars is None else calendars
    rows: list[Any] = []
    events: dict[int, list[tuple[str, datetime, dict]]] = {}
    for ticket_id, (ticket, written) in (opened or {}).items():
        row, state_events = _opened_row(ticket), _opened_events(written)
        if row is not None and state_events is not None:
            rows.append(row)
            events[ticket_id] = state_events
    rest = [i for i in ids if i not in events]
    if rest:
        events.update(_state_changes(rest))
        rows.extend(_ticket_rows(rest))
    zone = ZoneInfo(report_zone())  # report days and hours are the organisation's
    facts = []
    for row in rows:
        tid, kind, state, channel, group_id, assignee_id, priority, opened_at = row[:8]
        responded_at, resolved_at, closed_at, reopens, reassignments = row[8:13]
        category, service, item_id = row[13:]
        first_state, changes, last_change = "new", [], None
        for type_, at, data in events.get(tid, ()):
            if type_ == "created":
                first_state = data.get("state") or first_state
            elif data.get("new"):
                changes.append((at, str(data["new"])))
                last_change = at
        if resolved_at is None and state == "closed" and closed_at is not None:
            resolved_at = closed_at  # a request (cart) is done when it closes
        ended_at = None
        if state in DONE_STATES:
            ended_at = resolved_at or closed_at or last_change or opened_at
        durations = ticket_durations(
            calendars.get(group_id or 0, ALWAYS_OPEN),
            opened_at=opened_at,
            first_state=first_state,
            changes=changes,
            first_response_at=responded_at,
            resolved_at=resolved_at,
        )
        facts.append(
            {
                "ticket_id": tid,
                "kind": str(kind),
                "group_id": group_id or 0,
                "assignee_id": assignee_id or 0,
                "priority": priority,
                "channel": str(channel),
                "category": category or "",
                "service": service or "",
                "catalog_item_id": item_id or 0,
                "opened_at": opened_at,
                "opened_day": local_day(opened_at, zone),
                "opened_hour": opened_at.astimezone(zone).hour,
                "first_response_at": responded_at,
                "response_wall": durations.response_wall,
                "response_business": durations.response_business,
                "resolved_at": resolved_at,
                "resolved_day": local_day(resolved_at, zone) if resolved_at else None,
                "resolution_wall": durations.resolution_wall,
                "resolution_business": durations.resolution_business,
                "ended_at": ended_at,
                "ended_day": local_day(ended_at, zone) if ended_at else None,
                "reopen_count": reopens,
                "reassignment_count": reassignments,
                "held": durations.held,
                "first_contact": is_first_contact(
                    resolved=resolved_at is not None,
                    reopen_count=reopens,
                    reassignment_count=reassignments,
                    held=durations.held,
                ),
            }
        )
    return facts


def contributions(fact: dict[str, Any]) -> Iterator[tuple[Key, dict[str, int]]]:
    """What one ticket adds to the daily rollup: ``((day, *dimensions), counters)`` for its
    opening day and, once resolved, for its resolution day."""
    dims = tuple(fact[d] for d in DIMENSIONS)
    responded = fact["response_wall"] is not None
    yield (
        (fact["opened_day"], *dims),
        {
            "opened": 1,
            "responded": int(responded),
            "response_wall_sum": fact["response_wall"] or 0,
            "response_business_sum": fact["response_business"] or 0,
        },
    )
    if fact["resolved_day"] is not None:
        yield (
            (fact["resolved_day"], *dims),
            {
                "resolved": 1,
                "resolution_wall_sum": fact["resolution_wall"] or 0,
                "resolution_business_sum": fact["resolution_business"] or 0,
                "reopened": int(fact["reopen_count"] > 0),
                "first_contact": int(bool(fact["first_contact"])),
                "reassigned": int(fact["reassignment_count"] > 0),
                "reassignments": fact["reassignment_count"],
            },
        )


def _add(totals: dict[Key, dict[str, int]], facts: Iterable[dict[str, Any]], sign: int) -> None:
    for key, counters in contributions_of(facts):
        row = totals.setdefault(key, dict.fromkeys(COUNTERS, 0))
        for name, value in counters.items():
            row[name] += sign * value


def contributions_of(facts: Iterable[dict[str, Any]]) -> Iterator[tuple[Key, dict[str, int]]]:
    for fact in facts:
        yield from contributions(fact)


def duration_buckets(facts: Iterable[dict[str, Any]]) -> Counter[Key]:
    """The monthly duration buckets the ``facts`` count in: ``(duration, kind, month,
    group_id, bucket)`` and how many tickets (see ``MonthlyDurations``)."""
    out: Counter[Key] = Counter()
    for fact in facts:
        for name, day in DURATIONS.items():
            if fact[name] is not None and fact[day] is not None:
                month = fact[day].replace(day=1)
                out[(name, fact["kind"], month, fact["group_id"], bucket(fact[name]))] += 1
    return out


def channel_totals(facts: Iterable[dict[str, Any]]) -> dict[Key, Counter[str]]:
    """What the ``facts`` add to the daily channel counts: ``(day, kind, group_id, channel)``
    and the tickets opened and resolved there (see ``DailyChannels``)."""
    out: dict[Key, Counter[str]] = defaultdict(Counter)
    for fact in facts:
        dims = (fact["kind"], fact["group_id"], fact["channel"])
        out[(fact["opened_day"], *dims)]["opened"] += 1
        if fact["resolved_day"] is not None:
            out[(fact["resolved_day"], *dims)]["resolved"] += 1
    return out


def _apply_monthly(counts: Counter[Key], *, empty: bool = False) -> None:
    """Add ``counts`` (which may be negative) to the monthly duration buckets."""
    rows = [
        {**dict(zip(MONTHLY_KEY, key, strict=True)), "tickets": n} for key, n in counts.items() if n
    ]
    add_rows(MONTHLY, MONTHLY_KEY, rows, empty=empty)


def _apply_channels(totals: dict[Key, Counter[str]], *, empty: bool = False) -> None:
    rows = [
        {
            **dict(zip(CHANNEL_KEY, key, strict=True)),
            "opened": n["opened"],
            "resolved": n["resolved"],
        }
        for key, n in totals.items()
        if n["opened"] or n["resolved"]
    ]
    add_rows(CHANNELS, CHANNEL_KEY, rows, empty=empty)


def _apply_daily(totals: dict[Key, dict[str, int]], *, empty: bool = False) -> None:
    """Add ``totals`` to the daily rollup."""
    rows = [
        {"day": key[0], **dict(zip(DIMENSIONS, key[1:], strict=True)), **values}
        for key, values in totals.items()
        if any(values.values())
    ]
    add_rows(DAILY, ("day", *DIMENSIONS), rows, empty=empty)


def _old_facts(ids: Sequence[int]) -> list[dict[str, Any]]:
    if not ids:
        return []
    commit_writes.release(db.session(), FACTS)  # a fact held for this commit is not there yet
    rows = db.session.execute(select(TicketFact.__table__).where(TicketFact.ticket_id.in_(ids)))
    return [dict(row._mapping) for row in rows]


def _upsert_facts(facts: list[dict[str, Any]]) -> None:
    write(_facts_upsert(is_postgresql(db.session)), facts)


@cache
def _facts_upsert(postgresql: bool) -> Any:
    """The fact rows' upsert, built once per database (``postgresql``, the session's)."""
    statement = upsert(db.session, FACTS)
    return statement.on_conflict_do_update(
        index_elements=["ticket_id"],
        set_={name: statement.excluded[name] for name in FACT_COLUMNS if name != "ticket_id"},
    )


def refresh_facts(ticket_ids: Iterable[int]) -> int:
    """Recompute the facts of these tickets and move the daily rollup by the difference.
    Returns how many fact rows were written (changed or new). Flushes, never commits."""
    ids = sorted(set(ticket_ids))
    calendars = queue_calendars() if ids else {}
    noted: Opened = db.session.info.get(NEW_TICKETS, {})
    written = 0
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        # A ticket this transaction inserted has no fact row yet (this writes it).
        opened = {i: noted.pop(i) for i in chunk if i in noted}
        old = _old_facts([i for i in chunk if i not in opened])
        new = compute_facts(chunk, calendars, opened)
        totals: dict[Key, dict[str, int]] = {}
        _add(totals, old, -1)
        _add(totals, new, +1)
        # Most ticket events (a work note, a watcher, an approval on the way) change no fact:
        # those rows are not written again (each write also updates the facts' eight indexes).
        stored = {fact["ticket_id"]: fact for fact in old}
        changed = [fact for fact in new if stored.get(fact["ticket_id"]) != fact]
        with together():  # the facts and the rollups they move: one statement on PostgreSQL
            if changed:
                _upsert_facts(changed)
            _apply_daily(totals)
            buckets = duration_buckets(new)
            buckets.subtract(duration_buckets(old))
            _apply_monthly(buckets)
            channels = channel_totals(new)
            for key, gone in channel_totals(old).items():
                channels[key].subtract(gone)
            _apply_channels(channels)
            refresh_agents(old, new)
        written += len(changed)
    return written


def rebuild(*, batch: int = 2000) -> int:
    """Recompute every fact row and the whole daily rollup from the tickets. Flushes only."""
    db.session.info.pop(NEW_TICKETS, None)  # every ticket has its fact row after this
    db.session.execute(delete(DailyRollup))
    db.session.execute(delete(MonthlyDurations))
    db.session.execute(delete(DailyChannels))
    db.session.execute(delete(TicketFact))
    calendars = queue_calendars()
    totals: dict[Key, dict[str, int]] = {}
    buckets: Counter[Key] = Counter()
    channels: dict[Key, Counter[str]] = defaultdict(Counter)
    count, last = 0, 0
    while True:
        ids = list(
            db.session.scalars(
                select(Ticket.id).where(Ticket.id > last).order_by(Ticket.id).limit(batch)
            )
        )
        if not ids:
            break
        facts = compute_facts(ids, calendars)
        if facts:
            db.session.execute(insert(FACTS), facts)
        _add(totals, facts, +1)
        buckets.update(duration_buckets(facts))
        for key, counts in channel_totals(facts).items():
            channels[key].update(counts)
        count, last = count + len(facts), ids[-1]
    _apply_daily(totals, empty=True)
    _apply_monthly(buckets, empty=True)
    _apply_channels(channels, empty=True)
    rebuild_agents()
    db.session.flush()
    return count


def _flag(condition: Any) -> Any:
    return case((condition, 1), else_=0)


# Each counter of the daily rollup as an aggregate over fact rows, and the day it counts on:
# the plain recomputation the tests compare the rollup with, and what the measures read when
# a filter is not in the rollup's key.
OPENED_AGGREGATES = {
    "opened": func.count(),
    "responded": func.count(TicketFact.response_wall),
    "response_wall_sum": func.coalesce(func.sum(TicketFact.response_wall), 0),
    "response_business_sum": func.coalesce(func.sum(TicketFact.response_business), 0),
}
RESOLVED_AGGREGATES = {
    "resolved": func.count(),
    "resolution_wall_sum": func.coalesce(func.sum(TicketFact.resolution_wall), 0),
    "resolution_business_sum": func.coalesce(func.sum(TicketFact.resolution_business), 0),
    "reopened": func.sum(_flag(TicketFact.reopen_count > 0)),
    "first_contact": func.sum(_flag(TicketFact.first_contact)),
    "reassigned": func.sum(_flag(TicketFact.reassignment_count > 0)),
    "reassignments": func.sum(TicketFact.reassignment_count),
}


def counter_source(name: str) -> tuple[Any, Any]:
    """``(day column, aggregate over facts)`` of a daily rollup counter."""
    if name in OPENED_AGGREGATES:
        return TicketFact.opened_day, OPENED_AGGREGATES[name]
    return TicketFact.resolved_day, RESOLVED_AGGREGATES[name]


def recompute_daily() -> dict[Key, dict[str, int]]:
    """The daily rollup recomputed with a plain ``GROUP BY`` over the fact rows (the tests
    compare it with the maintained table)."""
    out: dict[Key, dict[str, int]] = {}
    dims = [getattr(TicketFact, d) for d in DIMENSIONS]
    width = 1 + len(dims)
    for day, aggregates in (
        (TicketFact.opened_day, OPENED_AGGREGATES),
        (TicketFact.resolved_day, RESOLVED_AGGREGATES),
    ):
        rows = db.session.execute(
            select(day, *dims, *aggregates.values()).where(day.is_not(None)).group_by(day, *dims)
        )
        for row in rows:
            out.setdefault(tuple(row[:width]), dict.fromkeys(COUNTERS, 0)).update(
                zip(aggregates, (int(v or 0) for v in row[width:]), strict=True)
            )
    return out


def stored_daily() -> dict[Key, dict[str, int]]:
    """The maintained daily rollup, without rows that count nothing."""
    out = {}
    for row in db.session.scalars(select(DailyRollup)):
        values = {name: int(getattr(row, name)) for name in COUNTERS}
        if any(values.values()):
            out[(row.day, *(getattr(row, d) for d in DIMENSIONS))] = values
    return out


def stored_durations() -> Counter[Key]:
    """The maintained monthly duration buckets, without those that count nothing (the tests
    compare them with :func:`duration_buckets` of every fact)."""
    rows = db.session.execute(select(*(MONTHLY.c[k] for k in MONTHLY_KEY), MONTHLY.c.tickets))
    return Counter({tuple(row[:-1]): int(row[-1]) for row in rows if row[-1]})


def stored_channels() -> dict[Key, Counter[str]]:
    """The maintained daily channel counts, without rows that count nothing (the tests
    compare them with :func:`channel_totals` of every fact)."""
    rows = db.session.execute(select(CHANNELS))
    return {
        tuple(row[:4]): Counter({"opened": row.opened, "resolved": row.resolved})
        for row in rows
        if row.opened or row.resolved
    }
