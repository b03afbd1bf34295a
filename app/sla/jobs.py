"""The periodic SLA job: move running clocks on, announce warnings and breaches once, escalate.

:func:`run_tick` is the one implementation; ``flask sla tick`` (one inline tick, e.g. from cron),
``flask sla scheduler`` (inline every minute, or through RQ when ``REDIS_URL`` is set: see
:mod:`app.sla.schedule`) and the RQ job :func:`tick_job` all call it and commit. Each warning and
breach becomes one ``TicketEvent`` (``sla_warning``, ``sla_breached``) for notifications to
read: a record's ``notified_level`` is raised with a conditional ``UPDATE`` before the event is
written, so two ticks racing each other announce it once, and a second run finds nothing to do.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm.attributes import set_committed_value

from app.extensions import db
from app.ops.periodic import run_once
from app.ops.worker import in_app_context
from app.sla.escalation import escalate
from app.sla.models import SlaPolicy, SlaStage, TaskSla
from app.sla.services import refresh_ticket_slas
from app.tickets import services as tickets
from app.tickets.models import Ticket
from app.timeutils import utc_now

log = logging.getLogger(__name__)


@dataclass
class TickReport:
    refreshed: int = 0
    warnings: int = 0
    breaches: int = 0
    escalations: list[str] = field(default_factory=list)


def run_tick(now: datetime) -> TickReport:
    """Recompute clocks whose next threshold is due, then announce what was crossed (flushes).

    An escalation can cross more thresholds at once (a raised priority has a shorter target),
    so the affected tickets are recomputed and announced again in the same run: a second run
    right after finds nothing to do.
    """
    report = TickReport()
    due = (
        select(TaskSla.ticket_id)
        .join(SlaPolicy, SlaPolicy.id == TaskSla.policy_id)
        .where(TaskSla.stage == SlaStage.IN_PROGRESS, TaskSla.next_check_at <= now)
        .where(SlaPolicy.is_active)
    )
    report.refreshed = refresh_ticket_slas(set(db.session.scalars(due.distinct())), now=now)
    for _round in range(3):
        escalated = _announce_pending(now, report)
        if not escalated:
            break
        report.refreshed += refresh_ticket_slas(escalated, now=now)
    db.session.flush()
    return report


def _announce_pending(now: datetime, report: TickReport) -> set[int]:
    """Announce every crossing not announced yet; returns the tickets that were escalated."""
    pending = list(
        db.session.scalars(
            select(TaskSla)
            .where(TaskSla.warning_level > TaskSla.notified_level)
            .order_by(TaskSla.ticket_id, TaskSla.id)
        )
    )
    if not pending:
        return set()
    ids = {r.ticket_id for r in pending}
    by_id = {t.id: t for t in db.session.scalars(select(Ticket).where(Ticket.id.in_(ids)))}
    policies = {r.policy_id for r in pending}
    by_policy = {
        p.id: p
        for p in db.session.scalars(select(SlaPolicy).where(SlaPolicy.id.in_(policies))).unique()
    }
    before = len(report.escalations)
    escalated: set[int] = set()
    for record in pending:
        _announce(record, by_id[record.ticket_id], by_policy[record.policy_id], now, report)
        if len(report.escalations) > before:
            escalated.add(record.ticket_id)
            before = len(report.escalations)
    db.session.flush()
    return escalated


def _claim(record: TaskSla, level: float) -> bool:
    """Raise the record's notified level from what we read; False if another tick did."""
    claimed = db.session.execute(
        update(TaskSla)
        .where(TaskSla.id == record.id, TaskSla.notified_level == record.notified_level)
        .values(notified_level=level)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed:
        set_committed_value(record, "notified_level", level)
    return bool(claimed)


def _announce(
    record: TaskSla, ticket: Ticket, policy: SlaPolicy, now: datetime, report: TickReport
) -> None:
    crossed = {int(k) / 100: at for k, at in (record.warnings or {}).items()}
    if record.breached_at is not None:
        crossed[1.0] = record.breached_at.isoformat()
    levels = sorted(t for t in crossed if t > record.notified_level)
    if not levels or not _claim(record, levels[-1]):
        return
    common = {"task_sla_id": record.id, "policy_id": policy.id, "policy": policy.name}
    for level in levels:
        if level < 1.0:
            tickets.record_event(
                ticket,
                "sla_warning",
                None,
                at=now,
                threshold=round(level * 100),
                crossed_at=crossed[level],
                notify=ticket.assignee_id,
                **common,
            )
            report.warnings += 1
        else:
            tickets.record_event(
                ticket,
                "sla_breached",
                None,
                at=now,
                breached_at=crossed[level],
                notify=ticket.assignee_id,
                **common,
            )
            report.breaches += 1
            if record.stopped_at is None and record.stage == SlaStage.BREACHED:
                _escalate(ticket, policy, record, now, report)


def _escalate(
    ticket: Ticket, policy: SlaPolicy, record: TaskSla, now: datetime, report: TickReport
) -> None:
    """Apply the policy's escalation to a ticket (of any kind) still open in breach."""
    done = escalate(ticket, policy, record, now)
    if done is not None:
        tickets.record_event(
            ticket,
            "sla_escalated",
            None,
            at=now,
            action=policy.escalation.value,
            policy_id=policy.id,
            task_sla_id=record.id,
            **done,
        )
        report.escalations.append(f"{ticket.number}: {policy.escalation.value}")


def tick_job() -> dict[str, Any]:
    """The RQ job (see :mod:`app.sla.schedule`): one tick as of now, committed, in the
    worker's application (see :mod:`app.ops.worker`)."""
    return in_app_context(_tick_and_commit)


TICK_JOB = "sla.tick"  # the name the tick runs under in ``periodic_jobs`` and its lock


def tick_once() -> TickReport | None:
    """One tick as of now, committed, unless another node is ticking right now (``None``:
    skipped; see :mod:`app.ops.periodic`)."""

    def tick_and_commit() -> TickReport:
        report = run_tick(utc_now())
        db.session.commit()
        return report

    _ran, report = run_once(TICK_JOB, tick_and_commit)
    return report


def _tick_and_commit() -> dict[str, Any]:
    report = tick_once()
    if report is None:
        return {"skipped": True}
    return {
        "refreshed": report.refreshed,
        "warnings": report.warnings,
        "breaches": report.breaches,
        "escalations": report.escalations,
    }
