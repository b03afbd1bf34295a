"""The live SLA state of tickets for pages: time left on the business calendar, warning colour,
breach, and the clock's explanation, read from the stored task SLA records in one query.

Use :func:`sla_summaries` for a ticket page (render ``sla/_ticket_sla.html`` with
``slas=result[ticket.id]``) and for queue rows (the ``sla_badge`` macro of ``sla/_macros.html``
with the first running summary).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from app.extensions import db
from app.i18n.stored import is_stored
from app.sla.calendar import ZERO, BusinessCalendar
from app.sla.clock import Part, parts_from_stored
from app.sla.models import SlaPolicy, SlaStage, TaskSla
from app.sla.timeline import business_calendar
from app.timeutils import utc_now


@dataclass(frozen=True)
class SlaSummary:
    """One SLA of a ticket as a page shows it, live as of ``now``."""

    record_id: int
    ticket_id: int
    name: str
    kind: str
    group: str
    stage: str
    due_at: datetime | None
    time_left: timedelta | None
    percentage: float
    at_warning: bool
    breached: bool
    # Lines: stored messages, or (stored before) parts; render each with the explained filter.
    explanation: tuple[Mapping[str, Any] | tuple[Part, ...], ...]

    @property
    def time_left_text(self) -> str:
        if self.time_left is None:
            return ""
        minutes = int(self.time_left.total_seconds() // 60)
        days, rest = divmod(minutes, 60 * 24)
        hours, mins = divmod(rest, 60)
        text = f"{hours} h {mins:02d} min" if hours else f"{mins} min"
        return f"{days} d {text}" if days else text


def summarize(
    record: TaskSla, policy: SlaPolicy, now: datetime, calendar: BusinessCalendar | None = None
) -> SlaSummary:
    """The live view of a stored record: a running clock moves on from ``computed_as_of``.
    ``calendar``: the policy's, when the caller built it already (a list of many records)."""
    elapsed = timedelta(seconds=record.elapsed_seconds)
    target = timedelta(seconds=record.target_seconds or 0)
    stage = record.stage.value
    time_left = None
    if record.stage == SlaStage.IN_PROGRESS and now > record.computed_as_of:
        calendar = calendar or business_calendar(policy.calendar)
        elapsed += calendar.business_time(record.computed_as_of, now)
    if record.stage in (SlaStage.IN_PROGRESS, SlaStage.PAUSED) and target:
        time_left = max(target - elapsed, ZERO)
    percentage = round(100 * elapsed / target, 1) if target else 0.0
    breached = record.breached_at is not None or (
        record.stage == SlaStage.IN_PROGRESS and target > ZERO and elapsed >= target
    )
    if breached and stage == SlaStage.IN_PROGRESS:
        stage = SlaStage.BREACHED.value
    first_warning = min(policy.warnings or [100]) / 100
    live = record.stage in (SlaStage.IN_PROGRESS, SlaStage.PAUSED)
    return SlaSummary(
        record_id=record.id,
        ticket_id=record.ticket_id,
        name=policy.name,
        kind=policy.kind.value,
        group=policy.group.name if policy.group else "",
        stage=stage,
        due_at=record.due_at,
        time_left=time_left,
        percentage=percentage,
        at_warning=live and not breached and percentage >= 100 * first_warning,
        breached=breached,
        explanation=tuple(
            line if is_stored(line) else parts_from_stored(line)
            for line in record.explanation or ()
        ),
    )


def sla_summaries(
    ticket_ids: Iterable[int], *, now: datetime | None = None
) -> dict[int, list[SlaSummary]]:
    """Per ticket, the SLAs of its active policies (every stint, running or finished) with
    the time left on the business calendar as of ``now``: one query for any number of tickets.

    Tickets without SLAs map to an empty list. Use it for a ticket page (render
    ``sla/_ticket_sla.html`` with ``slas=result[ticket.id]``) and for queue rows (the
    ``sla_badge`` macro of ``sla/_macros.html`` with the first running summary).
    """
    ids = sorted({int(i) for i in ticket_ids})
    if not ids:
        return {}
    now = now or utc_now()
    query = (
        select(TaskSla)
        .join(TaskSla.policy)
        .join(SlaPolicy.calendar)
        .options(contains_eager(TaskSla.policy).contains_eager(SlaPolicy.calendar))
        .where(TaskSla.ticket_id.in_(ids), SlaPolicy.is_active)
        .order_by(TaskSla.ticket_id, TaskSla.started_at, TaskSla.id)
    )
    result: dict[int, list[SlaSummary]] = {i: [] for i in ids}
    for record in db.session.scalars(query).unique():
        result[record.ticket_id].append(summarize(record, record.policy, now))
    return result
