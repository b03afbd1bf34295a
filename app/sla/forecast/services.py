"""The forecast for pages: the at-risk list, the projected compliance of the month and one
clock's explanation. Reads only; nothing here writes.

A clock's elapsed business time is the live one the SLA panel shows
(:func:`app.sla.summaries.summarize`, computed for all clocks at once), its history model the
queue's of the day (:mod:`app.sla.forecast.history`), its backlog the queue's running clocks
now.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property, partial
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, case, func, null, select

from app.extensions import db
from app.i18n import N_
from app.sla.forecast import history
from app.sla.forecast.survival import Clocks, Forecast, live_clocks, percent
from app.sla.models import SlaKind, SlaPolicy, SlaStage, TaskSla, month_of
from app.sla.summaries import SlaSummary
from app.sla.timeline import business_calendar
from app.tickets.models import Ticket

SHOWN = 100


@dataclass(frozen=True)
class Risk:
    """One running clock with its breach forecast. Its :attr:`summary` (what the SLA panel
    shows) is built when asked for: a page shows a hundred of the thousands it orders."""

    make_summary: Callable[[], SlaSummary] = field(repr=False, compare=False)
    kind: str  # of the clock: response or resolution
    breached: bool  # live: recorded, or its running clock has reached the target
    left: float  # seconds of the target left (NaN: no target)
    ticket_number: str
    ticket_kind: str
    ticket_summary: str
    group_id: int
    priority: int | None
    started_at: datetime | None
    forecast: Forecast
    backlog: int
    recorded_breach: bool  # stored as breached (the compliance counts it as decided)

    @cached_property
    def summary(self) -> SlaSummary:
        return self.make_summary()

    @property
    def probability(self) -> float | None:
        return self.forecast.probability

    @property
    def percent(self) -> str:
        return percent(self.forecast.probability)

    @property
    def explanation(self) -> str:
        """ "78 %: 2 h 10 min left, 64 % of similar P2 tickets in Network took longer from
        here"."""
        s, f = self.summary, self.forecast
        if s.breached:
            return _("%(percent)s: the target has passed", percent=self.percent)
        similar = _(
            _SIMILAR[(bool(f.priority), f.where == "queue", f.band is not None)],
            priority=f.priority,
            queue=s.group,
        )
        left = s.time_left_text or "0 min"
        if f.probability is None or not f.past:
            return _(
                "%(percent)s: %(time)s left, no %(similar)s has run this long before",
                percent=self.percent,
                time=left,
                similar=similar,
            )
        return _(
            "%(percent)s: %(time)s left, %(share)s of %(similar)s took longer from here",
            percent=self.percent,
            time=left,
            share=percent(f.longer / f.past),
            similar=similar,
        )

    @property
    def basis(self) -> str:
        """What the estimate rests on, for the title of the explanation."""
        f = self.forecast
        return _(
            _BASIS[f.band] if f.band is not None else _BASIS[None],
            at_risk=f.at_risk,
            backlog=self.backlog,
            longer=f.longer,
            past=f.past,
        )


# Who the "similar tickets" of a forecast are, by (by priority, in the queue, by backlog band):
# whole phrases, so that each language words them its own way.
_SIMILAR = {
    (True, True, True): N_("similar P%(priority)s tickets in %(queue)s"),
    (True, True, False): N_("P%(priority)s tickets in %(queue)s"),
    (False, True, True): N_("similar tickets in %(queue)s"),
    (False, True, False): N_("tickets in %(queue)s"),
    (True, False, True): N_("similar P%(priority)s tickets across the desk"),
    (True, False, False): N_("P%(priority)s tickets across the desk"),
    (False, False, True): N_("similar tickets across the desk"),
    (False, False, False): N_("tickets across the desk"),
}
# What an estimate rests on, by the backlog band (an index into BANDS) or None.
_BASIS: dict[int | None, str] = {
    None: N_(
        "Kaplan–Meier estimate from %(at_risk)s past clocks still running at this point; "
        "%(longer)s of the %(past)s finished ones reached the target."
    ),
    0: N_(
        "Kaplan–Meier estimate from %(at_risk)s past clocks still running at this point at a "
        "low backlog (%(backlog)s running); %(longer)s of the %(past)s finished ones reached "
        "the target."
    ),
    1: N_(
        "Kaplan–Meier estimate from %(at_risk)s past clocks still running at this point at a "
        "usual backlog (%(backlog)s running); %(longer)s of the %(past)s finished ones reached "
        "the target."
    ),
    2: N_(
        "Kaplan–Meier estimate from %(at_risk)s past clocks still running at this point at a "
        "high backlog (%(backlog)s running); %(longer)s of the %(past)s finished ones reached "
        "the target."
    ),
}


def _running_records(group_ids: Collection[int], priority: int | None) -> Select:
    """The running clocks as plain rows, with what :func:`summarize` reads of a record (its
    stored explanation aside: the list does not show it, and it is the costly column)."""
    query = (
        select(
            TaskSla.id,
            TaskSla.ticket_id,
            TaskSla.policy_id,
            TaskSla.group_id,
            TaskSla.kind,
            TaskSla.priority,
            TaskSla.target_seconds,
            TaskSla.stage,
            TaskSla.started_at,
            TaskSla.computed_as_of,
            TaskSla.elapsed_seconds,
            TaskSla.breached_at,
            TaskSla.due_at,
            null().label("explanation"),
            Ticket.number,
            Ticket.kind.label("ticket_kind"),
            Ticket.short_description,
        )
        .join(Ticket, Ticket.id == TaskSla.ticket_id)
        .where(TaskSla.group_id.in_(group_ids), history.running())
    )
    if priority is not None:
        query = query.where(TaskSla.priority == priority)
    return query


def _active_policies() -> dict[int, SlaPolicy]:
    """Every active policy with its queue and calendar (a few rows: one query)."""
    query = select(SlaPolicy).where(SlaPolicy.is_active)
    return {p.id: p for p in db.session.scalars(query).unique()}


def risks(group_ids: Collection[int], now: datetime, *, priority: int | None = None) -> list[Risk]:
    """Every running clock of these queues with its forecast, most likely breach first
    (clocks without a forecast last, then by time left)."""
    ids = sorted(set(group_ids))
    if not ids:
        return []
    rows = list(db.session.execute(_running_records(ids, priority)))
    found = assess(rows, _active_policies(), now, history.current_backlog(ids))
    found.sort(key=_order)
    return found


def _order(risk: Risk) -> tuple[float, float, str]:
    p = risk.probability
    return (
        -p if p is not None else 1.0,
        0.0 if math.isnan(risk.left) else risk.left,
        risk.ticket_number,
    )


def assess(
    rows: list[Any],
    policies: dict[int, SlaPolicy],
    now: datetime,
    backlog: dict[tuple[int, str], int],
) -> list[Risk]:
    """The forecasts of running clocks (rows of :func:`_running_records`; those of inactive
    policies are left out), each queue's model asked once for all of its clocks.

    Batched: each policy's name, queue and warning level are read once, the business time
    since each record's last computation once per calendar and instant (the tick computes
    every running clock at the same instant), and the live state of every clock in one
    vectorised step (:func:`live_clocks`, what ``summarize`` computes for one clock)."""
    rows = [row for row in rows if row.policy_id in policies]
    if not rows:
        return []
    calendars = {i: business_calendar(p.calendar) for i, p in policies.items()}
    groups = {i: p.group.name if p.group else "" for i, p in policies.items()}
    warnings = {i: min(p.warnings or [100]) for i, p in policies.items()}
    since: dict[tuple[int, datetime], float] = {}

    def business_since(row: Any) -> float:
        if row.stage != SlaStage.IN_PROGRESS or now <= row.computed_as_of:
            return 0.0
        calendar = calendars[row.policy_id]
        key = (id(calendar), row.computed_as_of)
        if key not in since:
            since[key] = calendar.business_time(row.computed_as_of, now).total_seconds()
        return since[key]

    clocks = live_clocks(
        [float(row.elapsed_seconds) for row in rows],
        [business_since(row) for row in rows],
        [float(row.target_seconds or 0) for row in rows],
        [row.stage == SlaStage.IN_PROGRESS for row in rows],
        [row.breached_at is not None for row in rows],
    )
    by_model: dict[tuple[int, SlaKind], list[int]] = defaultdict(list)
    for i, row in enumerate(rows):
        by_model[(row.group_id or policies[row.policy_id].group_id, row.kind)].append(i)
    found = []
    for (group_id, kind), members in by_model.items():
        running = backlog.get((group_id, kind.value), 0)
        forecasts = history.model(group_id, kind, now).forecast_many(
            clocks.spent[members],
            [float(rows[i].target_seconds or 0) for i in members],
            [rows[i].priority for i in members],
            [running] * len(members),
        )
        for i, forecast in zip(members, forecasts, strict=True):
            row = rows[i]
            found.append(
                Risk(
                    make_summary=partial(
                        _summary, row, policies[row.policy_id], groups, warnings, clocks, i
                    ),
                    kind=policies[row.policy_id].kind.value,
                    breached=bool(clocks.breached[i]),
                    left=float(clocks.left[i]),
                    ticket_number=row.number,
                    ticket_kind=row.ticket_kind.value,
                    ticket_summary=row.short_description,
                    group_id=group_id,
                    priority=row.priority,
                    started_at=row.started_at,
                    forecast=forecast,
                    backlog=running,
                    recorded_breach=row.stage == SlaStage.BREACHED,
                )
            )
    return found


def _summary(
    row: Any,
    policy: SlaPolicy,
    groups: dict[int, str],
    warnings: dict[int, int],
    clocks: Clocks,
    i: int,
) -> SlaSummary:
    """Clock ``i``'s summary from the batch (the fields ``summarize`` gives, no explanation:
    the list does not show it)."""
    breached = bool(clocks.breached[i])
    left = float(clocks.left[i])
    percentage = float(clocks.percentage[i])
    stage = row.stage.value
    if breached and row.stage == SlaStage.IN_PROGRESS:
        stage = SlaStage.BREACHED.value
    return SlaSummary(
        record_id=row.id,
        ticket_id=row.ticket_id,
        name=policy.name,
        kind=policy.kind.value,
        group=groups[policy.id],
        stage=stage,
        due_at=row.due_at,
        time_left=None if math.isnan(left) else timedelta(seconds=left),
        percentage=percentage,
        at_warning=not breached and percentage >= warnings[policy.id],
        breached=breached,
        explanation=(),
    )


def record_risk(record_id: int, now: datetime) -> Risk | None:
    """The forecast of one clock, None when it is not running (met, cancelled, unknown) or
    its policy is no longer active."""
    group_id = db.session.scalar(select(TaskSla.group_id).where(TaskSla.id == record_id))
    if group_id is None:
        return None
    rows = list(
        db.session.execute(_running_records([group_id], None).where(TaskSla.id == record_id))
    )
    policy = db.session.get(SlaPolicy, rows[0].policy_id) if rows else None
    if policy is None or not policy.is_active:
        return None
    found = assess(rows, {policy.id: policy}, now, history.current_backlog([group_id]))
    return found[0] if found else None


@dataclass(frozen=True)
class Projection:
    """A queue's compliance this month: decided clocks and the expected breaches of the open."""

    queue: str
    kind: str
    met: int
    breached: int
    running: int
    expected: float  # expected breaches among the running clocks not yet breached
    unknown: int  # running clocks without a forecast (no history this long)

    @property
    def total(self) -> int:
        return self.met + self.breached + self.running

    @property
    def projected(self) -> float | None:
        """Expected share met by the month's end, of every clock started this month."""
        counted = self.total - self.unknown
        if not counted:
            return None
        return 1 - (self.breached + self.expected) / counted

    @property
    def now_met(self) -> float | None:
        decided = self.met + self.breached
        return self.met / decided if decided else None


def month_start(now: datetime) -> datetime:
    """The first instant of ``now``'s UTC month."""
    return now.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def projections(
    group_ids: Collection[int],
    names: dict[int, str],
    found: list[Risk],
    now: datetime,
    *,
    priority: int | None = None,
) -> list[Projection]:
    """Per queue and kind, the clocks started this UTC month: met and breached so far (a
    running clock past its target is breached) and the sum of the running ones' forecasts."""
    ids = sorted(set(group_ids))
    if not ids:
        return []
    month = month_of(now)
    decided = (
        select(
            TaskSla.group_id,
            TaskSla.kind,
            func.sum(case((TaskSla.breached_at.is_(None), 1), else_=0)),
            func.sum(case((TaskSla.breached_at.is_not(None), 1), else_=0)),
        )
        .where(
            TaskSla.group_id.in_(ids),
            TaskSla.stage.in_((SlaStage.MET, SlaStage.BREACHED)),
            TaskSla.started_month == month,
            # The month's range of the reports' index (queue, kind, start): every kind named
            # so that PostgreSQL reads the index by range rather than scanning the table.
            TaskSla.kind.in_(list(SlaKind)),
            TaskSla.started_at >= month_start(now),
        )
        .group_by(TaskSla.group_id, TaskSla.kind)
    )
    if priority is not None:
        decided = decided.where(TaskSla.priority == priority)
    table: dict[tuple[int, str], list[float]] = {}
    for group_id, kind, met, breached in db.session.execute(decided):
        table[(group_id, kind.value)] = [int(met or 0), int(breached or 0), 0, 0.0, 0]
    for risk in found:
        if month_of(risk.started_at) != month or risk.recorded_breach:
            continue  # a running clock recorded as breached is counted as decided already
        row = table.setdefault((risk.group_id, risk.kind), [0, 0, 0, 0.0, 0])
        row[2] += 1
        if risk.probability is None:
            row[4] += 1
        else:
            row[3] += risk.probability
    return [
        Projection(names.get(g, "?"), k, int(v[0]), int(v[1]), int(v[2]), v[3], int(v[4]))
        for (g, k), v in sorted(
            table.items(), key=lambda item: (names.get(item[0][0], ""), item[0][1])
        )
    ]
