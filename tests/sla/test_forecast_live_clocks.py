"""The at-risk list computes every clock's live state in one vectorised step: it must say what
the SLA panel's per-clock ``summarize`` says, on business hours, pauses, stored breaches and
clocks without a target."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from app.sla.calendar import BusinessCalendar
from app.sla.forecast.survival import live_clocks
from app.sla.models import SlaKind, SlaStage
from app.sla.summaries import summarize

NOW = datetime(2026, 12, 7, 15, 20, tzinfo=UTC)
OFFICE = BusinessCalendar.weekly("Europe/Stockholm", {d: [("08:00", "17:00")] for d in range(5)})


def clock(rng: random.Random) -> SimpleNamespace:
    target = rng.choice([0, 3600, 4 * 3600, 8 * 3600, 3 * 86400])
    stage = rng.choice([SlaStage.IN_PROGRESS, SlaStage.IN_PROGRESS, SlaStage.PAUSED])
    elapsed = rng.randint(0, int(target * 1.3) + 600)
    recorded = target > 0 and elapsed >= target and rng.random() < 0.5
    return SimpleNamespace(
        id=rng.randint(1, 10**6),
        ticket_id=1,
        stage=stage,
        elapsed_seconds=elapsed,
        target_seconds=target,
        computed_as_of=NOW - timedelta(minutes=rng.randint(0, 5 * 24 * 60)),
        breached_at=NOW - timedelta(hours=1) if recorded else None,
        due_at=None,
        explanation=None,
    )


@pytest.mark.parametrize(
    "calendar", [OFFICE, BusinessCalendar.always_open()], ids=["office", "24x7"]
)
def test_the_batch_says_what_summarize_says_for_each_clock(calendar):
    rng = random.Random(17)
    records = [clock(rng) for _ in range(400)]
    policy = SimpleNamespace(
        name="Resolution", kind=SlaKind.RESOLUTION, group=None, warnings=[50, 75], calendar=None
    )
    one_by_one = [summarize(r, policy, NOW, calendar) for r in records]  # type: ignore[arg-type]
    batch = live_clocks(
        [r.elapsed_seconds for r in records],
        [calendar.business_time(min(r.computed_as_of, NOW), NOW).total_seconds() for r in records],
        [r.target_seconds for r in records],
        [r.stage == SlaStage.IN_PROGRESS for r in records],
        [r.breached_at is not None for r in records],
    )
    assert {bool(b) for b in batch.breached} == {True, False}  # the sample has both
    for i, (record, summary) in enumerate(zip(records, one_by_one, strict=True)):
        assert bool(batch.breached[i]) == summary.breached, record
        assert float(batch.percentage[i]) == pytest.approx(summary.percentage, abs=0.051)
        if summary.time_left is None:
            assert record.target_seconds == 0
        else:
            assert float(batch.left[i]) == pytest.approx(summary.time_left.total_seconds())
        # What the forecast conditions on: the time used, never more than the target.
        left = summary.time_left.total_seconds() if summary.time_left is not None else 0.0
        target = float(record.target_seconds)
        expected = target if summary.breached else max(target - left, 0.0)
        assert float(batch.spent[i]) == pytest.approx(expected)
