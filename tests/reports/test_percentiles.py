"""Median and p90 from the monthly duration buckets: within the buckets' stated error of the
exact nearest-rank percentiles over the facts, for ranges of whole months, partial months
and both, on both databases; exact (the facts sorted) below the size where buckets pay."""

from __future__ import annotations

import math
import random
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import insert, select

from app.reports.measures import figure, percentiles
from app.reports.measures.base import nearest_rank
from app.reports.rollups.buckets import ERROR, bucket, bucket_value, nearest_rank_of
from app.reports.rollups.facts import duration_buckets, rebuild, stored_durations
from app.reports.rollups.models import TicketFact
from app.reports.scope import Scope
from app.tickets.models import Ticket


def test_a_bucket_reads_within_its_error_of_every_value_in_it():
    for seconds in [1, 2, 3, 7, 59, 60, 61, 3599, 3600, 86_399, 86_400, 10**7, 3 * 10**7]:
        assert abs(bucket_value(bucket(seconds)) - seconds) <= ERROR * seconds
    assert bucket(0) == 0
    assert bucket_value(0) == 0
    assert ERROR < 0.025  # what docs/metrics.md promises


def test_percentiles_of_bucket_counts_follow_the_nearest_rank():
    rng = random.Random(7)
    values = sorted(round(rng.lognormvariate(9, 1.5)) for _ in range(1001))
    counts: dict[int, int] = {}
    for value in values:
        counts[bucket(value)] = counts.get(bucket(value), 0) + 1
    for share in (0.5, 0.9, 0.01, 1.0):
        (estimate,) = nearest_rank_of(counts.items(), share)
        exact = nearest_rank(values, share)
        assert exact is not None
        assert estimate is not None
        assert abs(estimate - exact) <= ERROR * exact
    assert nearest_rank_of([], 0.5) == [None]


def _load(db, make_user, queue, rng: random.Random) -> tuple[list[int], datetime]:
    """About 600 resolved incidents in two queues from January to mid-May 2019 (a few without
    a response), written straight into ``tickets``; then the facts and rollups rebuilt."""
    caller = make_user()
    groups = [queue(f"Percentiles {n}").id for n in range(2)]
    start = datetime(2019, 1, 1, tzinfo=UTC)
    rows = []
    for n in range(600):
        opened = start + timedelta(seconds=rng.uniform(0, 135 * 86400))
        response = rng.choice([None, rng.expovariate(1 / 3600)])
        resolution = rng.lognormvariate(11, 1.2)
        resolved = opened + timedelta(seconds=resolution)
        rows.append(
            {
                "kind": "incident",
                "number": f"PCT{n:07d}",
                "short_description": "t",
                "description": "",
                "state": "resolved",
                "channel": "portal",
                "caller_id": caller.id,
                "assignment_group_id": groups[n % 2],
                "impact": 3,
                "urgency": 3,
                "priority": 1 + n % 5,
                "opened_at": opened,
                "first_response_at": None
                if response is None
                else opened + timedelta(seconds=response),
                "resolved_at": resolved,
                "reassignment_count": 0,
                "reopen_count": 0,
                "created_at": opened,
                "updated_at": resolved,
            }
        )
    db.session.execute(insert(Ticket.__table__), rows)
    rebuild()
    db.session.flush()
    return groups, start


def _exact(db, name: str, scope: Scope) -> list[float]:
    day = TicketFact.opened_day if name.startswith("response") else TicketFact.resolved_day
    column = getattr(TicketFact, name)
    query = select(column).where(
        column.is_not(None),
        day >= scope.start,
        day <= scope.end,
        TicketFact.group_id.in_(scope.groups),
    )
    if scope.priorities:
        query = query.where(TicketFact.priority.in_(scope.priorities))
    return sorted(float(v) for v in db.session.scalars(query))


RANGES = [
    (date(2019, 1, 1), date(2019, 3, 31)),  # whole months only
    (date(2019, 1, 17), date(2019, 5, 2)),  # whole months and the days around them
    (date(2019, 2, 3), date(2019, 2, 20)),  # part of one month
    (date(2019, 1, 20), date(2019, 2, 10)),  # across a month's end, no whole month
]


@pytest.mark.parametrize(("start", "end"), RANGES)
def test_bucketed_percentiles_are_within_the_error_of_the_exact_ones(
    db, make_user, queue, monkeypatch, start, end
):
    groups, _ = _load(db, make_user, queue, random.Random(start.toordinal()))
    monkeypatch.setattr(percentiles, "EXACT_UP_TO", 0)  # buckets whatever the size
    admin = make_user(roles=["admin"])
    for scope in (
        Scope(start, end, groups=tuple(groups), kinds=("incident",)),
        Scope(start, end, groups=(groups[1],), kinds=("incident",)),
    ):
        for measure, prefix in (("response_time", "response"), ("resolution_time", "resolution")):
            for basis in ("wall", "business"):
                result = figure(measure, scope, admin, basis=basis)
                values = _exact(db, f"{prefix}_{basis}", scope)
                assert values, (scope, measure)
                assert result.count == len(values)
                assert result.stats["mean"] == round(sum(values) / len(values), 1)
                assert result.extra["percentile_error"] == ERROR
                for stat, share in (("median", 0.5), ("p90", 0.9)):
                    exact = nearest_rank(values, share)
                    assert exact is not None
                    assert math.isclose(result.stats[stat], exact, rel_tol=ERROR), (stat, scope)


def test_small_or_narrowed_scopes_stay_exact(db, make_user, queue):
    groups, _ = _load(db, make_user, queue, random.Random(3))
    admin = make_user(roles=["admin"])
    few = Scope(date(2019, 1, 10), date(2019, 4, 20), groups=tuple(groups), kinds=("incident",))
    result = figure("resolution_time", few, admin, basis="wall")
    values = _exact(db, "resolution_wall", few)
    assert result.extra["percentile_error"] == 0
    assert (result.stats["median"], result.stats["p90"]) == (
        nearest_rank(values, 0.5),
        nearest_rank(values, 0.9),
    )


def test_narrowed_by_priority_reads_the_facts_exactly(db, make_user, queue, monkeypatch):
    groups, _ = _load(db, make_user, queue, random.Random(4))
    monkeypatch.setattr(percentiles, "EXACT_UP_TO", 0)
    admin = make_user(roles=["admin"])
    scope = Scope(
        date(2019, 1, 1),
        date(2019, 4, 30),
        groups=tuple(groups),
        priorities=(2,),
        kinds=("incident",),
    )
    result = figure("resolution_time", scope, admin, basis="wall")
    values = _exact(db, "resolution_wall", scope)
    assert result.extra["percentile_error"] == 0
    assert result.stats["median"] == nearest_rank(values, 0.5)


def test_the_rebuilt_buckets_count_every_fact_once(db, make_user, queue):
    _load(db, make_user, queue, random.Random(5))
    facts = [dict(row._mapping) for row in db.session.execute(select(TicketFact.__table__))]
    assert stored_durations() == duration_buckets(facts)
