"""The sampling rule and the survey's windows (pure: no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.surveys import sampling

NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


def test_the_draw_is_fixed_by_the_ticket_and_spread_over_0_to_99():
    draws = [sampling.draw(i) for i in range(1, 2001)]
    assert draws == [sampling.draw(i) for i in range(1, 2001)]  # a re-run draws the same
    assert set(draws) <= set(range(100))
    share = sum(d < 30 for d in draws) / len(draws)
    assert 0.26 < share < 0.34  # about 30% of tickets fall under a 30% sample


def test_a_percentage_picks_the_tickets_whose_draw_is_below_it():
    for ticket in range(1, 300):
        decision = sampling.decide(
            ticket_id=ticket, percentage=30, now=NOW, last_asked_at=None, once_per_days=0
        )
        assert decision.sampled == (sampling.draw(ticket) < 30)
        assert decision.reason == (sampling.DRAWN if decision.sampled else sampling.NOT_DRAWN)


def test_zero_and_a_hundred_percent():
    off = sampling.decide(ticket_id=7, percentage=0, now=NOW, last_asked_at=None, once_per_days=0)
    assert (off.sampled, off.reason) == (False, sampling.SAMPLING_OFF)
    assert all(
        sampling.decide(
            ticket_id=t, percentage=100, now=NOW, last_asked_at=None, once_per_days=0
        ).sampled
        for t in range(1, 200)
    )


def test_at_most_one_survey_per_person_per_n_days():
    def asked(days_ago: float) -> sampling.Decision:
        return sampling.decide(
            ticket_id=1,
            percentage=100,
            now=NOW,
            last_asked_at=NOW - timedelta(days=days_ago),
            once_per_days=7,
        )

    assert asked(2).reason == sampling.ASKED_RECENTLY
    assert not asked(6.9).sampled
    assert asked(7).sampled
    no_limit = sampling.decide(
        ticket_id=1, percentage=100, now=NOW, last_asked_at=NOW, once_per_days=0
    )
    assert no_limit.sampled


def test_the_delay_and_the_edit_window():
    assert sampling.due_at(NOW, 24) == NOW + timedelta(hours=24)
    assert sampling.due_at(NOW, 0) == NOW
    assert sampling.may_edit(None, NOW, 0)  # never answered: open
    assert sampling.may_edit(NOW - timedelta(days=3), NOW, 3)
    assert not sampling.may_edit(NOW - timedelta(days=3, seconds=1), NOW, 3)


@pytest.mark.parametrize(
    ("value", "score"),
    [
        ("1", 1),
        ("5", 5),
        (" 3 ", 3),
        (4, 4),
        ("0", None),
        ("6", None),
        ("x", None),
        ("", None),
        (None, None),
        ("2.5", None),
        ("-1", None),
        ("55", None),
        (True, None),
        ("²", None),
        ("٣", None),
    ],
)
def test_only_1_to_5_is_a_score(value, score):
    assert sampling.parse_score(value) == score


def test_a_low_score_includes_the_threshold():
    assert sampling.is_low(2, 2)
    assert sampling.is_low(1, 2)
    assert not sampling.is_low(3, 2)
    assert not sampling.is_low(None, 2)
