"""The breach forecast's estimator: Kaplan–Meier curves of business time to resolve, per stratum.

A pure core (no Flask, no database, no clock): plain numpy arrays in, probabilities out.

A ticket whose clock has used ``spent`` business seconds of a ``target`` breaches when its
clock reaches the target before it stops, so its probability of breaching is the conditional
survival ``P(R ≥ 1 | R > spent / target) = S(1⁻) / S(spent / target)``, where ``R`` is the
business time a clock of its stratum runs *as a share of its own target* and ``S`` the
Kaplan–Meier estimate from the queue's history: finished clocks are events at their share,
clocks still running are censored at theirs (they ran at least that long), so a slow queue's
open backlog is not forgotten. Shares rather than seconds let the broader strata pool
priorities whose targets differ twentyfold (a P1 clock at 3 h is late, a P4 one is not) and
keep history measured against an older target comparable.

Strata, narrowest first (:data:`LEVELS`): the queue at the ticket's priority and backlog band,
the queue at its priority, the whole queue, the desk at its priority, the whole desk. The
forecast uses the narrowest stratum with at least ``min_at_risk`` history clocks still running
at ``spent`` (the ones the estimate "from here" rests on), else the one with the most.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

MIN_AT_RISK = 20
BANDS = ("low", "usual", "high")  # the queue's backlog against its own history (terciles)
LEVELS: tuple[tuple[str, bool, bool], ...] = (
    # (where, by priority, by backlog band)
    ("queue", True, True),
    ("queue", True, False),
    ("queue", False, False),
    ("desk", True, False),
    ("desk", False, False),
)

Floats = NDArray[np.float64]


@dataclass(frozen=True)
class Curve:
    """A Kaplan–Meier survival curve of durations (seconds), some of them censored."""

    times: Floats  # distinct durations of finished clocks, ascending
    survival: Floats  # S(t) just after each of ``times``
    durations: Floats  # every duration, finished or censored, ascending
    finished: Floats  # durations of finished clocks only, ascending

    @classmethod
    def fit(cls, durations: Sequence[float] | Floats, finished: Sequence[bool] | NDArray) -> Curve:
        """The curve of ``durations``; ``finished[i]`` false means censored (still running)."""
        d = np.asarray(durations, dtype=np.float64)
        f = np.asarray(finished, dtype=bool)
        if d.shape != f.shape:
            raise ValueError("durations and finished differ in length")
        ordered = np.sort(d)
        done = np.sort(d[f])
        times, events = np.unique(done, return_counts=True)
        at_risk = len(ordered) - np.searchsorted(ordered, times, side="left")
        survival = np.cumprod(1.0 - events / at_risk).astype(np.float64)
        return cls(times=times, survival=survival, durations=ordered, finished=done)

    @property
    def size(self) -> int:
        return len(self.durations)

    def at_risk(self, t: float) -> int:
        """How many clocks of the history ran longer than ``t``."""
        return int(self.size - np.searchsorted(self.durations, t, side="right"))

    def survival_at(self, t: float) -> float:
        """``S(t) = P(T > t)``."""
        i = int(np.searchsorted(self.times, t, side="right"))
        return 1.0 if i == 0 else float(self.survival[i - 1])

    def survival_before(self, t: float) -> float:
        """``S(t⁻) = P(T ≥ t)``."""
        i = int(np.searchsorted(self.times, t, side="left"))
        return 1.0 if i == 0 else float(self.survival[i - 1])

    def breach_probability(self, spent: float, target: float) -> float | None:
        """``P(T ≥ target | T > spent)``; None when no clock of the history ran past ``spent``."""
        if spent >= target:
            return 1.0
        base = self.survival_at(spent)
        if base <= 0.0 or self.at_risk(spent) == 0:
            return None
        return min(1.0, max(0.0, self.survival_before(target) / base))

    def evaluate(
        self, used: Floats
    ) -> tuple[Floats, NDArray[np.intp], NDArray[np.intp], NDArray[np.intp]]:
        """For many shares of the target used at once: :meth:`breach_probability` (NaN for
        None), :meth:`at_risk` and :meth:`took_longer` up to the target (1.0), as arrays."""
        at_risk = self.size - np.searchsorted(self.durations, used, side="right")
        base = np.concatenate(([1.0], self.survival))[np.searchsorted(self.times, used, "right")]
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.clip(self.survival_before(1.0) / base, 0.0, 1.0)
        probability = np.where((base <= 0.0) | (at_risk == 0), np.nan, ratio)
        probability = np.where(used >= 1.0, 1.0, probability)
        done = len(self.finished)
        past = done - np.searchsorted(self.finished, used, side="right")
        longer = np.minimum(done - int(np.searchsorted(self.finished, 1.0, side="left")), past)
        return probability, at_risk, longer, past

    def took_longer(self, spent: float, target: float) -> tuple[int, int]:
        """Among the finished clocks that ran past ``spent``: how many reached ``target``, of
        how many (the plain count behind the explanation, censoring aside)."""
        past = len(self.finished) - int(np.searchsorted(self.finished, spent, side="right"))
        longer = len(self.finished) - int(np.searchsorted(self.finished, target, side="left"))
        return min(longer, past), past


@dataclass(frozen=True)
class History:
    """Past clocks of one queue (or of the desk) as parallel arrays.

    ``share``: business time each clock ran (final, or so far when still running) over its
    target; ``finished``: it stopped (resolved), else censored; ``priority``: 0 when none;
    ``backlog``: running clocks of its queue when it started.
    """

    share: Floats
    finished: NDArray[np.bool_]
    priority: NDArray[np.int64]
    backlog: Floats

    @classmethod
    def of(
        cls,
        seconds: Sequence[float] | Floats,
        targets: Sequence[float] | Floats,
        finished: Sequence[bool],
        priority: Sequence[int | None],
        backlog: Sequence[float] | Floats | None = None,
    ) -> History:
        """From business seconds and the target (seconds, > 0) each clock was measured by."""
        n = len(seconds)
        target = np.asarray(targets, dtype=np.float64)
        if np.any(target <= 0):
            raise ValueError("every target must be positive")
        return cls(
            share=np.asarray(seconds, dtype=np.float64) / target,
            finished=np.asarray(finished, dtype=bool),
            priority=np.asarray([p or 0 for p in priority], dtype=np.int64),
            backlog=np.asarray(backlog if backlog is not None else [0.0] * n, dtype=np.float64),
        )

    @property
    def size(self) -> int:
        return len(self.share)


def band_edges(backlog: Floats) -> tuple[float, float]:
    """The terciles of a queue's backlog history: at or below the first is "low", above the
    second "high"."""
    if len(backlog) == 0:
        return (0.0, 0.0)
    low, high = np.quantile(backlog, [1 / 3, 2 / 3])
    return float(low), float(high)


def band_of(backlog: float, edges: tuple[float, float]) -> int:
    """0 (low), 1 (usual) or 2 (high): an index into :data:`BANDS`."""
    if backlog <= edges[0]:
        return 0
    return 2 if backlog > edges[1] else 1


def backlog_at(starts: Floats, stops: Floats, instants: Floats, *, ordered: bool = False) -> Floats:
    """Clocks running at each instant (epoch seconds): started at or before it and stopped
    after it (``inf`` when still running). ``ordered``: both arrays are sorted already."""
    if not ordered:
        starts, stops = np.sort(starts), np.sort(stops)
    started = np.searchsorted(starts, instants, side="right")
    stopped = np.searchsorted(stops, instants, side="right")
    return (started - stopped).astype(np.float64)


@dataclass(frozen=True)
class Forecast:
    """One clock's breach probability and what it rests on."""

    probability: float | None  # None: no history clock ever ran this long
    where: str  # "queue" or "desk"
    priority: int | None  # the stratum's priority (None: every priority)
    band: int | None  # the stratum's backlog band (None: every band)
    at_risk: int  # history clocks still running at the ticket's elapsed time
    longer: int  # finished history clocks that ran past it and reached the target
    past: int  # finished history clocks that ran past it


@dataclass
class Model:
    """The strata of one queue with the desk behind them; curves are fitted when first used."""

    queue: History
    desk: History | Callable[[], History] | None = None  # a callable: read when first needed
    min_at_risk: int = MIN_AT_RISK
    edges: tuple[float, float] = field(init=False)
    bands: NDArray[np.int64] = field(init=False)
    _curves: dict[tuple[str, int | None, int | None], Curve | None] = field(
        init=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        self.edges = band_edges(self.queue.backlog)
        low, high = self.edges
        backlog = self.queue.backlog
        self.bands = np.where(backlog <= low, 0, np.where(backlog > high, 2, 1)).astype(np.int64)

    def desk_history(self) -> History | None:
        """The desk's history, read on first use (most forecasts never need it)."""
        if callable(self.desk):
            self.desk = self.desk()
        return self.desk

    def curve(self, where: str, priority: int | None, band: int | None) -> Curve | None:
        key = (where, priority, band)
        if key not in self._curves:
            history = self.queue if where == "queue" else self.desk_history()
            if history is None:
                self._curves[key] = None
                return None
            mask = np.ones(history.size, dtype=bool)
            if priority is not None:
                mask &= history.priority == priority
            if band is not None:
                mask &= self.bands == band
            self._curves[key] = Curve.fit(history.share[mask], history.finished[mask])
        return self._curves[key]

    def forecast(
        self, spent: float, target: float, priority: int | None, backlog: float
    ) -> Forecast:
        """The breach probability of a clock that has run ``spent`` of ``target`` seconds, at
        ``priority``, while its queue has ``backlog`` running clocks."""
        return self.forecast_many([spent], [target], [priority], [backlog])[0]

    def forecast_many(
        self,
        spent: Sequence[float] | Floats,
        target: Sequence[float],
        priority: Sequence[int | None],
        backlog: Sequence[float],
    ) -> list[Forecast]:
        """:meth:`forecast` of many clocks, each stratum's curve read once for all of them."""
        spent_ = np.asarray(spent, dtype=np.float64)
        target_ = np.asarray(target, dtype=np.float64)
        valid = target_ > 0
        used = np.where(valid, spent_ / np.where(valid, target_, 1.0), 0.0)
        bands = [band_of(b, self.edges) for b in backlog]
        chosen: list[Forecast | None] = [None] * len(used)
        best: list[Forecast | None] = [None] * len(used)
        pending = [int(i) for i in np.flatnonzero(valid)]
        for where, by_priority, by_band in LEVELS:
            strata: dict[tuple[int | None, int | None], list[int]] = {}
            for i in pending:
                key = ((priority[i] or 0) if by_priority else None, bands[i] if by_band else None)
                strata.setdefault(key, []).append(i)
            for (stratum, band), members in strata.items():
                curve = self.curve(where, stratum, band)
                if curve is None or curve.size == 0:
                    continue
                probability, at_risk, longer, past = curve.evaluate(used[members])
                for j, i in enumerate(members):
                    p = None if np.isnan(probability[j]) else float(probability[j])
                    found = Forecast(
                        p, where, stratum, band, int(at_risk[j]), int(longer[j]), int(past[j])
                    )
                    if p is not None and found.at_risk >= self.min_at_risk:
                        chosen[i] = found
                    elif best[i] is None or found.at_risk > best[i].at_risk:  # type: ignore[union-attr]
                        best[i] = found
            pending = [i for i in pending if chosen[i] is None]
        nothing = Forecast(None, "queue", None, None, 0, 0, 0)
        for i in pending:
            late = spent_[i] >= target_[i]
            chosen[i] = Forecast(1.0, "queue", None, None, 0, 0, 0) if late else best[i]
        return [found or nothing for found in chosen]


@dataclass(frozen=True)
class Clocks:
    """The live state of many running clocks at once (seconds; ``left`` is NaN without a
    target), as :func:`app.sla.summaries.summarize` computes it for one."""

    elapsed: Floats
    left: Floats
    spent: Floats  # what the forecast conditions on: the elapsed time, at most the target
    percentage: Floats
    breached: NDArray[np.bool_]


def live_clocks(
    elapsed: Sequence[float] | Floats,
    since: Sequence[float] | Floats,
    target: Sequence[float] | Floats,
    running: Sequence[bool] | NDArray,
    recorded_breach: Sequence[bool] | NDArray,
) -> Clocks:
    """Vectorised live state: ``elapsed`` is the stored business time, ``since`` the business
    time from the record's last computation to now (counted for a running clock only, not a
    paused one), ``recorded_breach`` whether a breach is stored. A clock breaches once it is
    running with a target and its elapsed time reaches it."""
    target_ = np.asarray(target, dtype=np.float64)
    running_ = np.asarray(running, dtype=bool)
    live = np.asarray(elapsed, dtype=np.float64) + np.where(
        running_, np.asarray(since, dtype=np.float64), 0.0
    )
    has_target = target_ > 0
    left = np.where(has_target, np.maximum(target_ - live, 0.0), np.nan)
    breached = np.asarray(recorded_breach, dtype=bool) | (running_ & has_target & (live >= target_))
    spent = np.where(has_target, np.where(breached, target_, np.minimum(live, target_)), 0.0)
    percentage = np.where(has_target, np.round(100 * live / np.where(has_target, target_, 1), 1), 0)
    return Clocks(live, left, spent, percentage, breached)


def describe(forecast: Forecast, queue: str) -> str:
    """Who the "similar tickets" of a forecast are: "similar P2 tickets in Network"."""
    who = f"P{forecast.priority} tickets" if forecast.priority else "tickets"
    where = f"in {queue}" if forecast.where == "queue" else "across the desk"
    similar = "similar " if forecast.band is not None else ""
    return f"{similar}{who} {where}"


def percent(value: float | None) -> str:
    """``0.784`` → ``"78 %"``; None → ``"—"``."""
    return "—" if value is None else f"{round(100 * value)} %"
