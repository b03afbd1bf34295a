"""The forecast's backtest: replay past months with what was known at each month's start, record
the forecast at fixed points of each clock's life and score it against what happened.

A pure core: the caller passes past clocks as :class:`PastClock` values and two functions that
need the business calendar (``elapsed_at`` and ``instant_of``); ``flask sla backtest`` (in
``app.sla.forecast.cli``) reads them from the database.

For a month starting at ``cut``, the history is every clock of the queue started before
``cut``: finished by then (an event at its final business time) or still running then
(censored at the business time it had run at ``cut``). The tickets scored are the clocks that
started in the month and are decided (finished, or breached while running). At each checkpoint
``f`` of ``FRACTIONS`` (a share of the target), a clock still running there gets the forecast
the at-risk page would have shown, with its queue's backlog at that instant; the outcome is
whether it breached. The reference forecast is the same estimate at the clock's start (time
already spent ignored), so the skill score says what conditioning on it adds.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from app.sla.forecast.survival import History, Model, backlog_at

FRACTIONS = (0.25, 0.5, 0.75)


@dataclass(frozen=True)
class PastClock:
    """One past clock as plain data: instants as epoch seconds, durations in business seconds."""

    queue: int
    kind: str
    priority: int
    target: float
    started: float
    stopped: float | None  # None: still running
    seconds: float  # final business time, or so far when still running
    breached: bool
    ref: int = 0  # the caller's own reference (its calendar), for elapsed_at and instant_of


@dataclass(frozen=True)
class Scored:
    """One checkpoint: the forecast, the reference forecast and what happened."""

    month: int  # YYYYMM
    fraction: float
    probability: float
    reference: float
    breached: bool


@dataclass(frozen=True)
class Bin:
    low: float
    high: float
    count: int
    forecast: float
    observed: float


def brier(probabilities: Sequence[float], outcomes: Sequence[bool]) -> float:
    """Mean squared difference between forecast and outcome (0 is perfect)."""
    p = np.asarray(probabilities, dtype=np.float64)
    y = np.asarray(outcomes, dtype=np.float64)
    return float(np.mean((p - y) ** 2)) if len(p) else float("nan")


def calibration(
    probabilities: Sequence[float], outcomes: Sequence[bool], bins: int = 10
) -> list[Bin]:
    """Forecasts grouped by decile of probability: mean forecast against observed frequency."""
    p = np.asarray(probabilities, dtype=np.float64)
    y = np.asarray(outcomes, dtype=np.float64)
    index = np.minimum((p * bins).astype(int), bins - 1)
    table = []
    for i in range(bins):
        inside = index == i
        n = int(inside.sum())
        if n:
            table.append(
                Bin(i / bins, (i + 1) / bins, n, float(p[inside].mean()), float(y[inside].mean()))
            )
    return table


def replay(
    clocks: Sequence[PastClock],
    months: Iterable[tuple[int, float, float]],
    *,
    elapsed_at: Callable[[PastClock, float], float],
    instant_of: Callable[[PastClock, float], float],
    fractions: Sequence[float] = FRACTIONS,
    min_at_risk: int | None = None,
) -> list[Scored]:
    """Score the forecast on each month ``(YYYYMM, start, end)`` of ``months`` (epoch seconds).

    ``elapsed_at(clock, t)`` is the business time a clock had run at ``t``; ``instant_of(clock,
    s)`` the instant its clock reached ``s`` business seconds.
    """
    by_queue: dict[tuple[int, str], list[PastClock]] = defaultdict(list)
    for clock in clocks:
        by_queue[(clock.queue, clock.kind)].append(clock)
    running = {key: _intervals(group) for key, group in by_queue.items()}
    scored: list[Scored] = []
    for month, start, end in months:
        desks = {
            kind: _history([c for c in clocks if c.kind == kind], start, elapsed_at)
            for kind in {c.kind for c in clocks}
        }
        for key, group in by_queue.items():
            tested = [c for c in group if start <= c.started < end and _decided(c)]
            if not tested:
                continue
            model = Model(_history(group, start, elapsed_at), desk=desks[key[1]])
            if min_at_risk is not None:
                model.min_at_risk = min_at_risk
            starts, stops = running[key]
            for clock in tested:
                at_start = backlog_at(starts, stops, np.array([clock.started]), ordered=True)[0]
                reference = model.forecast(0.0, clock.target, clock.priority, at_start)
                for fraction in fractions:
                    spent = fraction * clock.target
                    if clock.seconds <= spent:
                        continue  # resolved before this point: nothing to forecast
                    instant = instant_of(clock, spent)
                    backlog = backlog_at(starts, stops, np.array([instant]), ordered=True)[0]
                    found = model.forecast(spent, clock.target, clock.priority, backlog)
                    if found.probability is None or reference.probability is None:
                        continue
                    scored.append(
                        Scored(
                            month,
                            fraction,
                            found.probability,
                            reference.probability,
                            clock.breached,
                        )
                    )
    return scored


def _decided(clock: PastClock) -> bool:
    return clock.stopped is not None or clock.breached


def _intervals(clocks: Sequence[PastClock]) -> tuple[np.ndarray, np.ndarray]:
    starts = np.array([c.started for c in clocks], dtype=np.float64)
    stops = np.array([np.inf if c.stopped is None else c.stopped for c in clocks], np.float64)
    return np.sort(starts), np.sort(stops)


def _history(
    clocks: Sequence[PastClock], cut: float, elapsed_at: Callable[[PastClock, float], float]
) -> History:
    """What was known at ``cut``: clocks started before it, finished or censored there."""
    known = [c for c in clocks if c.started < cut]
    seconds, finished = [], []
    for c in known:
        done = c.stopped is not None and c.stopped <= cut
        seconds.append(c.seconds if done else min(c.seconds, elapsed_at(c, cut)))
        finished.append(done)
    starts = np.array([c.started for c in known], dtype=np.float64)
    stops = np.array(
        [c.stopped if c.stopped is not None and c.stopped <= cut else np.inf for c in known],
        dtype=np.float64,
    )
    return History.of(
        seconds,
        [c.target for c in known],
        finished,
        [c.priority for c in known],
        backlog_at(starts, stops, starts),
    )


def markdown(scored: Sequence[Scored]) -> str:
    """The backtest's two tables: scores per checkpoint, then calibration by decile."""
    lines = [
        "| checkpoint | forecasts | breached | Brier | Brier at start (reference) | skill |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    groups = [
        (f"{round(100 * f)} % of target", [s for s in scored if s.fraction == f])
        for f in sorted({s.fraction for s in scored})
    ]
    groups.append(("all", list(scored)))
    for label, rows in groups:
        if not rows:
            continue
        y = [s.breached for s in rows]
        score = brier([s.probability for s in rows], y)
        ref = brier([s.reference for s in rows], y)
        skill = 1 - score / ref if ref else float("nan")
        lines.append(
            f"| {label} | {len(rows)} | {100 * np.mean(y):.1f} % | {score:.4f} | {ref:.4f} "
            f"| {skill:.2f} |"
        )
    lines += [
        "",
        "| forecast | forecasts | mean forecast | observed breaches |",
        "|---|---:|---:|---:|",
    ]
    for b in calibration([s.probability for s in scored], [s.breached for s in scored]):
        lines.append(
            f"| {100 * b.low:.0f}–{100 * b.high:.0f} % | {b.count} | {100 * b.forecast:.1f} % "
            f"| {100 * b.observed:.1f} % |"
        )
    return "\n".join(lines)
