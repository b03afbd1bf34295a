"""``flask sla backtest``: replay past months of the task SLA records and score the forecast
(Brier score and calibration by decile, as Markdown). Reads only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from app.extensions import db
from app.sla.models import SlaPolicy, TaskSla
from app.sla.timeline import business_calendar
from app.timeutils import utc_now

# The forecast's modules import numpy: they load when the command runs, not with every
# ``flask`` command or worker (issue 20).
if TYPE_CHECKING:
    from app.sla.calendar import BusinessCalendar
    from app.sla.forecast.backtest import PastClock


def month_starts(now: datetime, months: int) -> list[datetime]:
    """The first instants (UTC) of the ``months`` whole months before ``now``'s, and of its."""
    first = now.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    starts = [first]
    for _ in range(months):
        starts.insert(0, (starts[0] - timedelta(days=1)).replace(day=1))
    return starts


def load_clocks(since: datetime) -> tuple[list[PastClock], list[tuple[BusinessCalendar, datetime]]]:
    """Every clock started since ``since`` that ran (cancelled ones aside), with the calendar
    and the counting start each one's ``ref`` points to."""
    from app.sla.forecast.backtest import PastClock
    from app.sla.forecast.history import DECIDED, LIVE

    calendars = {p.id: business_calendar(p.calendar) for p in db.session.scalars(select(SlaPolicy))}
    query = select(
        TaskSla.group_id,
        TaskSla.policy_id,
        TaskSla.kind,
        TaskSla.priority,
        TaskSla.target_seconds,
        TaskSla.started_at,
        TaskSla.counted_from,
        TaskSla.stopped_at,
        TaskSla.elapsed_seconds,
        TaskSla.breached_at,
    ).where(
        TaskSla.started_at >= since,
        TaskSla.stage.in_(DECIDED + LIVE),
        TaskSla.target_seconds > 0,
        TaskSla.group_id.is_not(None),
    )
    clocks, refs = [], []
    for r in db.session.execute(query.execution_options(yield_per=5000)):
        refs.append((calendars[r.policy_id], r.counted_from or r.started_at))
        clocks.append(
            PastClock(
                queue=r.group_id,
                kind=r.kind.value,
                priority=r.priority or 0,
                target=float(r.target_seconds),
                started=r.started_at.timestamp(),
                stopped=r.stopped_at.timestamp() if r.stopped_at else None,
                seconds=float(r.elapsed_seconds),
                breached=r.breached_at is not None,
                ref=len(refs) - 1,
            )
        )
    return clocks, refs


@click.command("backtest")
@with_appcontext
@click.option("--months", default=6, show_default=True, type=click.IntRange(1, 36))
def backtest(months: int) -> None:
    """Replay the last MONTHS whole months: forecast each clock at 25, 50 and 75 % of its
    target from what was known when its month began, and compare with what happened."""
    from app.sla.forecast.backtest import FRACTIONS, markdown, replay
    from app.sla.forecast.history import WINDOW

    starts = month_starts(utc_now(), months)
    clocks, refs = load_clocks(starts[0] - WINDOW)

    def elapsed_at(clock: PastClock, t: float) -> float:
        calendar, counted = refs[clock.ref]
        cut = datetime.fromtimestamp(t, UTC)
        return calendar.business_time(counted, cut).total_seconds() if cut > counted else 0.0

    def instant_of(clock: PastClock, seconds: float) -> float:
        calendar, counted = refs[clock.ref]
        return calendar.add_business_time(counted, timedelta(seconds=seconds)).timestamp()

    spans = [
        (s.year * 100 + s.month, s.timestamp(), e.timestamp())
        for s, e in zip(starts, starts[1:], strict=False)
    ]
    scored = replay(clocks, spans, elapsed_at=elapsed_at, instant_of=instant_of)
    click.echo(
        f"Backtest of the SLA breach forecast: {len(clocks)} clocks read, {len(scored)} "
        f"forecasts at {', '.join(f'{round(100 * f)} %' for f in FRACTIONS)} of the target "
        f"over {months} month(s) from {starts[0]:%Y-%m} to {starts[-2]:%Y-%m}."
    )
    if not scored:
        click.echo("No decided clock in those months: nothing to score.")
        return
    click.echo("")
    click.echo(markdown(scored))
