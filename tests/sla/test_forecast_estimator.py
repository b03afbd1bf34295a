"""The breach forecast's estimator on hand-made data, and its calibration on generated history
with a known distribution of business time to resolve."""

from __future__ import annotations

import math

import numpy as np
import pytest

from app.sla.forecast.backtest import FRACTIONS, PastClock, brier, calibration, markdown, replay
from app.sla.forecast.survival import (
    Curve,
    History,
    Model,
    backlog_at,
    band_edges,
    band_of,
    describe,
    percent,
)


def test_curve_without_censoring_is_the_plain_share():
    curve = Curve.fit([10, 20, 30, 40], [True] * 4)
    assert curve.survival_at(15) == pytest.approx(0.75)
    assert curve.survival_before(30) == pytest.approx(0.5)
    # Of the three clocks still running at 15, two reached 30.
    assert curve.breach_probability(15, 30) == pytest.approx(2 / 3)
    assert curve.took_longer(15, 30) == (2, 3)


def test_a_censored_clock_counts_while_it_is_known_to_run():
    # 20 is still running: it shares the risk up to 20, then leaves the risk set.
    curve = Curve.fit([10, 20, 30, 40], [True, False, True, True])
    assert curve.survival_at(10) == pytest.approx(0.75)
    assert curve.survival_at(30) == pytest.approx(0.75 * 0.5)
    assert curve.at_risk(25) == 2
    assert curve.breach_probability(25, 35) == pytest.approx(0.5)
    assert curve.took_longer(5, 35) == (1, 3)  # the plain count ignores the running clock


def test_reaching_the_target_exactly_is_a_breach():
    curve = Curve.fit([60, 60, 120], [True] * 3)
    assert curve.breach_probability(0, 60) == pytest.approx(1.0)
    assert curve.breach_probability(0, 61) == pytest.approx(1 / 3)


def test_spent_past_the_target_is_certain_and_past_every_clock_is_unknown():
    curve = Curve.fit([10, 20], [True, True])
    assert curve.breach_probability(50, 40) == 1.0
    assert curve.breach_probability(25, 40) is None


def test_the_forecast_falls_back_to_broader_strata_when_few_ran_this_long():
    # P2 in the queue: 5 clocks, all done by 100 s; the queue's other priorities run longer.
    queue = History.of(
        [50] * 5 + [300] * 30 + [700] * 30,
        [500] * 65,
        [True] * 65,
        [2] * 5 + [3] * 60,
    )
    model = Model(queue, min_at_risk=20)
    early = model.forecast(spent=10, target=200, priority=3, backlog=0)
    assert early.where == "queue"
    assert early.priority == 3
    late = model.forecast(spent=120, target=500, priority=2, backlog=0)
    assert (late.where, late.priority, late.band) == ("queue", None, None)
    assert late.probability == pytest.approx(0.5)  # 30 of the 60 still running reach 500
    desk = Model(History.of([50] * 5, [500] * 5, [True] * 5, [2] * 5), desk=queue, min_at_risk=20)
    assert desk.forecast(spent=120, target=500, priority=2, backlog=0).where == "desk"


def test_a_queue_without_history_has_no_probability():
    model = Model(History.of([], [], [], []))
    assert model.forecast(spent=10, target=100, priority=2, backlog=3).probability is None


def test_backlog_bands_follow_the_queue_terciles():
    starts = np.array([0.0, 10, 20, 30])
    stops = np.array([15.0, np.inf, 25, np.inf])
    assert list(backlog_at(starts, stops, np.array([5.0, 20, 26, 40]))) == [1, 2, 1, 2]
    edges = band_edges(np.arange(1.0, 10.0))
    assert [band_of(b, edges) for b in (1, 5, 9)] == [0, 1, 2]


def test_the_stratum_says_who_the_similar_tickets_are():
    model = Model(History.of([100] * 40, [200] * 40, [True] * 40, [2] * 40, [3] * 40))
    found = model.forecast(spent=10, target=200, priority=2, backlog=3)
    assert describe(found, "Network") == "similar P2 tickets in Network"
    assert percent(0.784) == "78 %"
    assert percent(None) == "—"


# --- calibration on generated data -------------------------------------------------------------

MU, SIGMA = math.log(4 * 3600), 0.9  # log-normal business time to resolve: median 4 h
TARGET = 8 * 3600.0


def lognormal_sf(t: np.ndarray) -> np.ndarray:
    """The true P(T > t) of the generator."""
    z = (np.log(np.maximum(t, 1e-9)) - MU) / (SIGMA * math.sqrt(2))
    return 0.5 * np.array([math.erfc(v) for v in np.atleast_1d(z)])


def generated_history(rng: np.random.Generator, n: int) -> History:
    """``n`` clocks, each observed until an independent instant (as "now" cuts the running
    ones): about one in eight still run there and are censored."""
    final = rng.lognormal(MU, SIGMA, n)
    cut = rng.exponential(8 * 3600 * 5, n)
    return History.of(np.minimum(final, cut), np.full(n, TARGET), final <= cut, [2] * n)


def forecasts_on_new_tickets(rng: np.random.Generator, model: Model, n: int):
    """Forecasts at a random point of each new ticket's life (if still open there), with the
    truth they should match and what then happened."""
    target = TARGET
    final = rng.lognormal(MU, SIGMA, n)
    spent = rng.uniform(0, target, n)
    open_then = final > spent
    final, spent = final[open_then], spent[open_then]
    predicted = np.array(
        [model.forecast(s, target, 2, 0).probability for s in spent], dtype=np.float64
    )
    truth = lognormal_sf(np.array([target]))[0] / lognormal_sf(spent)
    return predicted, truth, final >= target


def test_forecasts_match_the_known_distribution():
    rng = np.random.default_rng(17)
    model = Model(generated_history(rng, 20_000))
    predicted, truth, _ = forecasts_on_new_tickets(rng, model, 2_000)
    # The estimate from 20,000 clocks (a fifth censored) stays close to the true conditional
    # probability wherever enough clocks remain at risk.
    assert np.max(np.abs(predicted - truth)) < 0.06
    assert np.mean(np.abs(predicted - truth)) < 0.015


def test_forecasts_are_calibrated_by_decile():
    rng = np.random.default_rng(2026)
    model = Model(generated_history(rng, 20_000))
    predicted, _, breached = forecasts_on_new_tickets(rng, model, 20_000)
    bins = np.minimum((predicted * 10).astype(int), 9)
    checked = 0
    for decile in range(10):
        inside = bins == decile
        n = int(inside.sum())
        if n < 100:
            continue
        expected = float(predicted[inside].mean())
        observed = float(breached[inside].mean())
        # Four binomial standard errors of the bin's size (a seeded run, no flakiness), plus
        # the estimator's own error from a finite history.
        tolerance = 4 * math.sqrt(max(expected * (1 - expected), 0.01) / n) + 0.02
        assert abs(observed - expected) <= tolerance, (decile, n, expected, observed)
        checked += 1
    assert checked >= 8  # the forecasts spread over the deciles


# --- the backtest's scores and replay ----------------------------------------------------------


def test_brier_and_calibration_score_what_happened():
    assert brier([1.0, 0.0, 0.5], [True, False, True]) == pytest.approx(0.25 / 3)
    table = calibration([0.05, 0.08, 0.95], [False, True, True])
    assert [(b.low, b.count, b.observed) for b in table] == [(0.0, 2, 0.5), (0.9, 1, 1.0)]


def test_replay_forecasts_each_month_from_what_was_known_at_its_start():
    rng = np.random.default_rng(7)
    day, target = 86400.0, TARGET
    clocks = []
    for i in range(6000):
        started = i * 0.02 * day  # 120 days, 50 clocks a day, always-open calendar
        seconds = float(rng.lognormal(MU, SIGMA))
        clocks.append(
            PastClock(
                1, "resolution", 2, target, started, started + seconds, seconds, seconds >= target
            )
        )
    months = [(m, m * 30 * day, (m + 1) * 30 * day) for m in (1, 2, 3)]
    scored = replay(
        clocks,
        months,
        elapsed_at=lambda c, t: t - c.started,
        instant_of=lambda c, s: c.started + s,
    )
    assert {s.month for s in scored} == {1, 2, 3}
    assert {s.fraction for s in scored} == set(FRACTIONS)
    # Conditioning on the time spent beats the estimate made at the start.
    assert brier([s.probability for s in scored], [s.breached for s in scored]) < brier(
        [s.reference for s in scored], [s.breached for s in scored]
    )
    assert "| 50 % of target |" in markdown(scored)


def test_broader_strata_pool_priorities_by_share_of_their_target():
    # P4 clocks (target 2,000 s) ran 1,400 s or 3,000 s: 70 % or 150 % of their target. A P1
    # clock (target 100 s) at 60 s has used 60 % of its own: half of the queue's clocks that
    # got that far breached, whatever their target in seconds.
    queue = History.of([1400] * 30 + [3000] * 30, [2000] * 60, [True] * 60, [4] * 60)
    found = Model(queue).forecast(spent=60, target=100, priority=1, backlog=0)
    assert found.priority is None
    assert found.probability == pytest.approx(0.5)
