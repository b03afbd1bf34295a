"""Random work (a seeded generator, through the real services and database): whatever is done
to tickets, the daily rollups the session hook maintains by increments equal a plain ``GROUP BY``
over the facts, the facts equal a rebuild from scratch, and the figures equal a plain
recomputation from the tickets table."""

from __future__ import annotations

import random
import uuid
from collections import Counter
from dataclasses import replace
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.errors import Invalid
from app.incidents import services
from app.incidents.workflow import State, Transition
from app.reports.measures import figure
from app.reports.rollups.agents import agent_counts, stored_agents
from app.reports.rollups.facts import (
    channel_totals,
    duration_buckets,
    rebuild,
    recompute_daily,
    stored_channels,
    stored_daily,
    stored_durations,
)
from app.reports.rollups.models import TicketFact
from app.reports.scope import Scope
from app.tickets.holds import HoldReason
from app.tickets.models import Channel, Ticket
from tests.reports.conftest import at

KINDS = ["state", "assign", "priority", "reply", "reopen", "open"]


def _actions(seed: int, size: int = 30) -> list[tuple[int, int, str, int]]:
    """``(which incident, minutes since the previous action, action, choice)``."""
    rng = random.Random(seed)
    return [
        (rng.randrange(4), rng.choice([5, 30, 240, 900, 3000]), rng.choice(KINDS),
         rng.randrange(4))
        for _ in range(size)
    ]  # fmt: skip


STATES = [State.IN_PROGRESS, State.ON_HOLD, State.RESOLVED, State.CANCELED]
CHANNELS = [Channel.PORTAL, Channel.EMAIL, Channel.PHONE, Channel.AGENT]


def _facts(db):
    db.session.expire_all()
    return {
        row.ticket_id: {c.name: getattr(row, c.name) for c in TicketFact.__table__.columns}
        for row in db.session.scalars(select(TicketFact))
    }


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_rollups_equal_a_plain_recomputation(
    app, db, queue, make_user, make_incident, policy, seed
):
    actions = _actions(seed)
    tag = uuid.uuid4().hex[:6]
    admin = make_user(roles=["admin"])
    agent, other = make_user(roles=["agent"]), make_user(roles=["agent"])
    groups = [
        queue(f"{name} {tag}", members=(agent, other)) for name in ("Desk", "Network", "Apps")
    ]
    policy(groups[0])
    policy(groups[1], targets={5: 600})
    now = at("2026-03-06 15:00")  # a Friday afternoon: business time crosses a weekend
    incidents = [make_incident(assignment_group=groups[0], now=now) for _ in range(2)]
    window = services.reopen_window(app.config)
    for which, minutes, action, choice in actions:
        now += timedelta(minutes=minutes)
        incident = incidents[which % len(incidents)]
        try:
            if action == "open":
                incidents.append(
                    make_incident(
                        assignment_group=groups[choice % 3], channel=CHANNELS[choice], now=now
                    )
                )
            elif action == "state":
                target = STATES[choice]
                change = Transition(
                    target,
                    hold_reason=HoldReason.AWAITING_CALLER if target == State.ON_HOLD else None,
                    resolution_code="solved_remotely" if target == State.RESOLVED else None,
                )
                services.change_state(incident, change, actor=agent, now=now)
            elif action == "assign":
                assignee = (None, other, None, agent)[choice]
                services.assign_incident(
                    incident, group=groups[choice % 3], assignee=assignee, actor=agent, now=now
                )
            elif action == "priority":
                services.override_priority(incident, 2 + choice, reason="r", actor=agent)
            elif action == "reply":
                services.comment(incident, author=agent, body="hi", public=True, now=now)
            else:
                services.reopen_incident(
                    incident, actor=incident.caller, reason="back", window=window, now=now
                )
            db.session.commit()
        except Invalid:
            db.session.rollback()

    assert stored_daily() == recompute_daily()
    kept = _facts(db)
    assert stored_durations() == duration_buckets(kept.values())
    assert stored_channels() == channel_totals(kept.values())
    assert stored_agents() == agent_counts(kept.values())
    rebuild()
    db.session.commit()
    assert _facts(db) == kept
    assert stored_daily() == recompute_daily()
    assert stored_agents() == agent_counts(kept.values())  # counted again in SQL

    # The figures against the tickets table, counted in Python.
    scope = Scope(date(2026, 3, 1), (now + timedelta(days=1)).date())
    tickets = list(db.session.scalars(select(Ticket)))
    opened = Counter(t.opened_at.date() for t in tickets)
    by_day = figure("opened", scope, admin, by="day")
    assert {p.key: p.count for p in by_day.series if p.count} == dict(opened)
    resolved = [t for t in tickets if t.resolved_at is not None]
    result = figure("resolution_time", scope, admin, basis="wall")
    assert result.count == len(resolved)
    if resolved:
        walls = [(t.resolved_at - t.opened_at).total_seconds() for t in resolved]
        assert result.stats["mean"] == round(sum(walls) / len(walls), 1)
        assert result.stats["median"] == sorted(walls)[(len(walls) + 1) // 2 - 1]
    for channel in CHANNELS:  # a filter outside the rollup's key: read from the facts
        narrowed = replace(scope, channels=(channel.value,))
        expected = [t for t in resolved if t.channel == channel]
        assert figure("resolved", narrowed, admin, by="week").count == len(expected)
        assert figure("reassignment", narrowed, admin).stats["reassignments"] == sum(
            t.reassignment_count for t in expected
        )
    reopened = sum(1 for t in resolved if t.reopen_count)
    rate = figure("reopen_rate", scope, admin).value
    assert rate == (round(100 * reopened / len(resolved), 1) if resolved else None)
    # Resolved per agent over ranges of whole months (the rollup), of none (the facts) and
    # of both, against the tickets.
    for start, end in ((date(2026, 1, 1), date(2026, 4, 30)), (date(2026, 3, 10), date(2026, 4, 3)),
                       (date(2026, 2, 20), date(2026, 5, 2))):  # fmt: skip
        expected_by = Counter(
            t.assignee_id
            for t in resolved
            if t.assignee_id and start <= t.resolved_at.date() <= end
        )
        work = figure("workload", Scope(start, end), admin, now=now)
        assert work.extra["resolved"] == dict(expected_by)
        mine = figure("workload", Scope(start, end, groups=(groups[1].id,)), admin, now=now)
        assert mine.extra["resolved"] == dict(
            Counter(
                t.assignee_id
                for t in resolved
                if t.assignee_id
                and t.assignment_group_id == groups[1].id
                and start <= t.resolved_at.date() <= end
            )
        )
    open_now = sum(1 for t in tickets if t.state in ("new", "in_progress", "on_hold"))
    assert figure("backlog", scope, admin, now=now).count == open_now
