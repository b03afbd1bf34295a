"""Task SLA records: computed from the ticket's event log with the pure clock, stored for reports.

``refresh_ticket_slas`` is the one writer of the derived columns; it reads a batch of tickets
with a constant number of queries (tickets, events, policies, the catalog items of request
tickets when a policy is narrowed to one, records) whatever its size. The
session hook (:mod:`app.sla.hooks`) calls it before every commit that recorded ticket events;
``flask sla tick`` calls it for clocks whose next threshold has come; ``flask sla replay``
compares what it would write with what is stored. Services flush, callers commit.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import Select, exists, select
from sqlalchemy.orm import lazyload

from app.extensions import db
from app.settings_cache import cached
from app.sla import signals
from app.sla.calendar import ZERO
from app.sla.clock import ClockResult, Stage, compute_clock, group_clocks
from app.sla.models import (
    SlaCalendar,
    SlaKind,
    SlaPolicy,
    SlaScope,
    SlaStage,
    TaskSla,
    month_of,
)
from app.sla.summaries import SlaSummary, sla_summaries
from app.sla.timeline import (
    TicketFacts,
    build_timeline,
    business_calendar,
    definition,
    group_key,
)
from app.tickets.event_hooks import keep_event_rows
from app.tickets.models import Ticket, TicketEvent, TicketKind
from app.timeutils import utc_now

log = logging.getLogger(__name__)

BATCH = 500
ANY_ACTIVE_KEY = "sla_any_active_policy"  # in the settings cache
SETTLE_GRACE = timedelta(minutes=5)  # crossings newer than this are still announced live
COMPARED = (
    "group_id",
    "kind",
    "priority",
    "target_seconds",
    "stage",
    "started_at",
    "started_month",
    "counted_from",
    "stopped_at",
    "due_at",
    "breached_at",
    "elapsed_seconds",
    "paused_seconds",
    "percentage",
    "warnings",
    "warning_level",
    "next_check_at",
    "explanation",
    "computed_as_of",
)


@dataclass
class Loaded:
    """A batch of tickets with what their clocks need, read in at most five queries.

    ``entries`` lists, per ticket, the groups it entered in order with the instant (the current
    group at the opening when no assignment was recorded); ``groups`` is the set of them.
    ``items`` maps request items and catalog tasks to their catalog item (a task: its request
    item's), read only when one of the batch's policies is narrowed to a catalog item.
    """

    facts: dict[int, TicketFacts]
    kinds: dict[int, str]
    rows: dict[int, list[tuple[str, datetime, dict]]]
    groups: dict[int, set[int]]
    entries: dict[int, list[tuple[int, datetime]]]
    policies: dict[int, list[SlaPolicy]]
    records: dict[tuple[int, int, int], TaskSla]
    items: dict[int, int] = field(default_factory=dict)


ITEM_KINDS = (TicketKind.REQUEST_ITEM.value, TicketKind.CATALOG_TASK.value)


def catalog_items_of(ticket_ids: Sequence[int]) -> dict[int, int]:
    """``{ticket id: catalog item id}`` of these request items and catalog tasks (other
    tickets are simply absent), from the catalog (``signals.ticket_catalog_items``)."""
    found: dict[int, int] = {}
    if ticket_ids:
        for _, answer in signals.ticket_catalog_items.send(None, ticket_ids=list(ticket_ids)):
            found.update(answer)
    return found


def active_policy_query(*conditions: Any) -> Select[SlaPolicy]:
    """The active policies (narrowed by ``conditions``) with their calendar, not their queue
    (joined with its manager, whose roles cost a statement of their own, at every commit of a
    ticket event), the lowest id first."""
    return (
        select(SlaPolicy)
        .where(SlaPolicy.is_active, *conditions)
        .order_by(SlaPolicy.id)
        .options(lazyload(SlaPolicy.group))
    )


def active_policies() -> list[SlaPolicy]:
    """Every active policy with its calendar (not its queue), the lowest id first (read at
    every commit of a ticket event: its statement is built once per process)."""
    return list(db.session.scalars(_every_active_policy()).unique())


@cache
def _every_active_policy() -> Select[SlaPolicy]:
    return active_policy_query()


def any_active_policy() -> bool:
    """Whether any policy is active: cached at the desk settings' revision
    (:mod:`app.settings_cache`), else read."""
    return cached(ANY_ACTIVE_KEY, _read_any_active)


def _read_any_active() -> bool:
    return bool(db.session.scalar(select(exists().where(SlaPolicy.is_active))))


def load_batch(
    ticket_ids: Sequence[int],
    *,
    with_records: bool = True,
    active: Sequence[SlaPolicy] | None = None,
) -> Loaded:
    """The batch's tickets, events, policies and records; ``active``: every active policy,
    already read (:func:`active_policies`), those of the batch's queues taken from it."""
    tickets = db.session.execute(
        select(
            Ticket.id,
            Ticket.kind,
            Ticket.opened_at,
            Ticket.first_response_at,
            Ticket.priority,
            Ticket.assignment_group_id,
        ).where(Ticket.id.in_(ticket_ids))
    ).all()
    facts = {t.id: TicketFacts(t.id, t.opened_at, t.first_response_at, t.priority) for t in tickets}
    kinds = {t.id: str(t.kind.value if hasattr(t.kind, "value") else t.kind) for t in tickets}
    rows: dict[int, list[tuple[str, datetime, dict]]] = defaultdict(list)
    entries: dict[int, list[tuple[int, datetime]]] = defaultdict(list)
    events = db.session.execute(
        select(TicketEvent.ticket_id, TicketEvent.type, TicketEvent.created_at, TicketEvent.data)
        .where(TicketEvent.ticket_id.in_(ticket_ids))
        .order_by(TicketEvent.ticket_id, TicketEvent.created_at, TicketEvent.id)
    ).all()
    for e in events:
        rows[e.ticket_id].append((e.type, e.created_at, e.data or {}))
        if e.type == "assigned" and (e.data or {}).get("group_id"):
            entries[e.ticket_id].append((int(e.data["group_id"]), e.created_at))
    for t in tickets:
        if t.assignment_group_id and not entries.get(t.id):
            entries[t.id].append((t.assignment_group_id, t.opened_at))
    groups = {
        t.id: {g for g, _at in entries.get(t.id, ())} | ({t.assignment_group_id} - {None})
        for t in tickets
    }
    all_groups = set().union(*groups.values()) if groups else set()
    policies: dict[int, list[SlaPolicy]] = defaultdict(list)
    if all_groups and active is not None:
        for policy in active:
            if policy.group_id in all_groups:
                policies[policy.group_id].append(policy)
    elif all_groups:
        query = active_policy_query(SlaPolicy.group_id.in_(all_groups))
        for policy in db.session.scalars(query).unique():
            policies[policy.group_id].append(policy)
    items: dict[int, int] = {}
    if any(p.catalog_item_id for listed in policies.values() for p in listed):
        items = catalog_items_of([t for t, kind in kinds.items() if kind in ITEM_KINDS])
    records: dict[tuple[int, int, int], TaskSla] = {}
    if with_records:
        for record in db.session.scalars(select(TaskSla).where(TaskSla.ticket_id.in_(ticket_ids))):
            records[(record.ticket_id, record.policy_id, record.stint)] = record
    return Loaded(facts, kinds, rows, groups, entries, policies, records, items)


def candidate_policies(loaded: Loaded, ticket_id: int) -> list[SlaPolicy]:
    """Active policies of the ticket's current and past groups (whether they measure it or
    not): the records of any other policy are left alone as frozen history."""
    return [
        policy
        for group_id in sorted(loaded.groups.get(ticket_id, ()))
        for policy in loaded.policies.get(group_id, ())
    ]


def fits(policy: SlaPolicy, kind: str | None, catalog_item_id: int | None) -> bool:
    """Whether a policy's narrowing admits a ticket of this kind and catalog item (a policy
    narrowed to an item admits only that item's request items and tasks; with a ticket kind
    too, only those of that kind)."""
    if policy.ticket_kind and policy.ticket_kind != kind:
        return False
    return policy.catalog_item_id is None or policy.catalog_item_id == catalog_item_id


def applicable_policies(loaded: Loaded, ticket_id: int) -> list[SlaPolicy]:
    """The active policies that measure this ticket, among those that fit its kind and catalog
    item (see :func:`fits`).

    Resolution policies: those of every group the ticket has been in. Response policies: the
    first response is a property of the ticket, measured once, so only the response policies
    of the *first* group that held the ticket before its first response (or still holds it
    unanswered) apply; a reassignment never starts another queue's response clock.
    """
    kind, item = loaded.kinds.get(ticket_id), loaded.items.get(ticket_id)
    fitting = [p for p in candidate_policies(loaded, ticket_id) if fits(p, kind, item)]
    chosen = [p for p in fitting if p.kind != SlaKind.RESPONSE]
    responded = loaded.facts[ticket_id].first_response_at
    for group_id, entered in loaded.entries.get(ticket_id, ()):
        if responded is not None and entered > responded:
            break
        owed = [p for p in fitting if p.kind == SlaKind.RESPONSE and p.group_id == group_id]
        if owed:
            chosen.extend(owed)
            break
    return chosen


def as_of_for(loaded: Loaded, ticket_id: int, now: datetime | None) -> datetime:
    """Records are computed as of the ticket's last event, or ``now`` when later (the tick)."""
    facts = loaded.facts[ticket_id]
    last = max((at for _t, at, _d in loaded.rows.get(ticket_id, ())), default=facts.opened_at)
    last = max(last, facts.opened_at, facts.first_response_at or facts.opened_at)
    return max(last, now) if now is not None else last


def _seconds(value: timedelta | None) -> int | None:
    return None if value is None else int(value.total_seconds())


def columns(policy: SlaPolicy, result: ClockResult, as_of: datetime) -> dict[str, Any]:
    """The stored columns of one clock result."""
    crossed = {c.threshold: c.at for c in result.warnings}
    level = 1.0 if result.breached_at else max(crossed, default=0.0)
    next_check = None
    if result.stage == Stage.IN_PROGRESS and result.target:
        upcoming = [t for t in (*definition(policy).warnings, 1.0) if t > level]
        if upcoming:
            left = max(result.target * upcoming[0] - result.elapsed, ZERO)
            next_check = business_calendar(policy.calendar).add_business_time(as_of, left)
    return {
        "group_id": policy.group_id,
        "kind": policy.kind,
        "priority": result.priority,
        "target_seconds": _seconds(result.target),
        "stage": SlaStage(result.stage.value),
        "started_at": result.started_at,
        "started_month": month_of(result.started_at),
        "counted_from": result.counted_from,
        "stopped_at": result.stopped_at,
        "due_at": result.due_at,
        "breached_at": result.breached_at,
        "elapsed_seconds": _seconds(result.elapsed) or 0,
        "paused_seconds": _seconds(result.paused) or 0,
        "percentage": round(result.percentage, 2),
        "warnings": {str(round(t * 100)): at.isoformat() for t, at in sorted(crossed.items())},
        "warning_level": level,
        "next_check_at": next_check,
        "explanation": result.stored_explanation,
        "computed_as_of": as_of,
    }


def clocks_for(loaded: Loaded, ticket_id: int, policy: SlaPolicy, as_of: datetime) -> list:
    """``[(stint, ClockResult)]`` of one policy on one ticket (stint 0: whole ticket).

    :raise ValueError: the policy cannot measure this timeline (e.g. no target for the
        ticket's priority after the priority levels changed).
    """
    events = build_timeline(loaded.facts[ticket_id], loaded.rows.get(ticket_id, ()))
    calendar, sla = business_calendar(policy.calendar), definition(policy)
    if policy.scope == SlaScope.TICKET:
        return [(0, compute_clock(calendar, sla, events, as_of))]
    key = group_key(policy.group_id)
    stints = group_clocks(calendar, {key: sla}, events, as_of)
    return [(n, stint.clock) for n, stint in enumerate(stints, start=1)]


def expected_records(
    loaded: Loaded, ticket_id: int, as_of: datetime
) -> dict[tuple[int, int, int], dict[str, Any]]:
    """What the records of one ticket should hold as of ``as_of``."""
    expected = {}
    for policy in applicable_policies(loaded, ticket_id):
        try:
            clocks = clocks_for(loaded, ticket_id, policy, as_of)
        except ValueError as error:
            log.warning("SLA %r cannot measure ticket %s: %s", policy.name, ticket_id, error)
            continue
        for stint, result in clocks:
            if result.stage != Stage.NOT_STARTED:
                key = (ticket_id, policy.id, stint)
                expected[key] = columns(policy, result, as_of)
    return expected


def refresh_ticket_slas(
    ticket_ids: Iterable[int],
    *,
    now: datetime | None = None,
    settle: bool = False,
    share_events: bool = False,
    policies: Sequence[SlaPolicy] | None = None,
) -> int:
    """Recompute the task SLA records of these tickets from their event logs; returns how many
    records were written. Records of deactivated policies are left as they were.

    ``settle`` is for bulk recomputation (the demo load, a policy change, a repair): warnings
    and breaches crossed more than :data:`SETTLE_GRACE` before ``now`` are history the tick
    never announced live, so they are recorded as already notified instead of arriving all at
    once (and escalating) on the next tick. Recent crossings are still announced.

    ``share_events`` (the session hook): the events read are offered to the hooks after it
    in the same commit (:func:`app.tickets.event_hooks.keep_event_rows`). ``policies``: every
    active policy, when the caller has read them (:func:`active_policies`).
    """
    ids = sorted({int(i) for i in ticket_ids})
    cutoff = (now or utc_now()) - SETTLE_GRACE
    written = 0
    for start in range(0, len(ids), BATCH):
        batch = ids[start : start + BATCH]
        loaded = load_batch(batch, active=policies)
        if share_events:
            keep_event_rows(db.session(), {t: list(loaded.rows.get(t, ())) for t in batch})
        for ticket_id in batch:
            if ticket_id not in loaded.facts:
                continue
            as_of = as_of_for(loaded, ticket_id, now)
            expected = expected_records(loaded, ticket_id, as_of)
            active = {p.id for p in candidate_policies(loaded, ticket_id)}
            for key, record in list(loaded.records.items()):
                if key[0] == ticket_id and key not in expected and key[1] in active:
                    db.session.delete(record)
            for key, values in expected.items():
                record = loaded.records.get(key)
                if record is None:
                    record = TaskSla(ticket_id=key[0], policy_id=key[1], stint=key[2])
                    db.session.add(record)
                for name, value in values.items():
                    if getattr(record, name, None) != value:
                        setattr(record, name, value)
                if settle:
                    level = max(record.notified_level or 0.0, settled_level(values, cutoff))
                    if record.notified_level != level:
                        record.notified_level = level
                written += 1
    db.session.flush()
    return written


def settled_level(values: dict[str, Any], cutoff: datetime) -> float:
    """The highest threshold of a record's ``values`` crossed at or before ``cutoff``."""
    crossed = [
        int(percent) / 100
        for percent, at in values["warnings"].items()
        if datetime.fromisoformat(at) <= cutoff
    ]
    if values["breached_at"] is not None and values["breached_at"] <= cutoff:
        crossed.append(1.0)
    return max(crossed, default=0.0)


def refresh_all(*, now: datetime | None = None) -> int:
    """Recompute (and settle) every ticket that has been in a queue: the demo load, a repair."""
    ids = set(db.session.scalars(select(Ticket.id).where(Ticket.assignment_group_id.is_not(None))))
    assigned = select(TicketEvent.ticket_id).where(TicketEvent.type == "assigned")
    ids |= set(db.session.scalars(assigned.distinct()))
    return refresh_ticket_slas(ids, now=now or utc_now(), settle=True)


def refresh_group(group_id: int, *, now: datetime | None = None) -> int:
    """Recompute (and settle) the tickets that are or were in a queue, after its policies
    changed: a new or stricter policy does not announce the queue's history at once."""
    ids = set(db.session.scalars(select(Ticket.id).where(Ticket.assignment_group_id == group_id)))
    assigned = select(TicketEvent.ticket_id, TicketEvent.data).where(TicketEvent.type == "assigned")
    for ticket_id, data in db.session.execute(assigned):
        if (data or {}).get("group_id") == group_id:
            ids.add(ticket_id)
    return refresh_ticket_slas(ids, now=now or utc_now(), settle=True)


__all__ = [
    "SlaCalendar",
    "SlaSummary",  # re-exported: the ticket pages import it from here
    "refresh_all",
    "refresh_ticket_slas",
    "sla_summaries",  # re-exported: the ticket pages import it from here
]
