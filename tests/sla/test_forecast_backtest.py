"""``flask sla backtest``: past months replayed from the task SLA records, on both databases."""

from __future__ import annotations

from datetime import timedelta

from app.sla.forecast.cli import month_starts
from app.timeutils import utc_now
from tests.sla.test_forecast_pages import ALWAYS, TARGET, past_clocks


def test_the_backtest_scores_past_months(app, db, queue, policy, calendar_row, make_incident):
    network = queue("Network")
    rule = policy(network, targets=dict.fromkeys(range(1, 6), TARGET),
                  calendar=calendar_row(week=ALWAYS))  # fmt: skip
    old = make_incident(short_description="Archived", assignment_group=queue("Archive"))
    starts = month_starts(utc_now(), 2)
    # A month of history before the two months scored, then clocks in each of them: a third
    # breach; the ones that breach run 300 of 240 minutes.
    for begin in (starts[0] - timedelta(days=30), starts[0], starts[1]):
        for day in range(0, 28, 2):
            past_clocks(db, old, rule, 3, [60, 120, 300], begin + timedelta(days=day, hours=1))
    result = app.test_cli_runner().invoke(args=["sla", "backtest", "--months", "2"])
    assert result.exit_code == 0, result.output
    assert f"from {starts[0]:%Y-%m} to {starts[1]:%Y-%m}" in result.output
    assert "| 50 % of target |" in result.output
    # At 75 % of the target only the clocks that breach are still running: all of them do.
    row = next(line for line in result.output.splitlines() if line.startswith("| 75 %"))
    assert "| 100.0 % |" in row


def test_without_decided_clocks_there_is_nothing_to_score(app, db):
    result = app.test_cli_runner().invoke(args=["sla", "backtest", "--months", "1"])
    assert result.exit_code == 0
    assert "nothing to score" in result.output
