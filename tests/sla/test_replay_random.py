"""Random work through the incident services (seeded, so a failure replays): whatever happens,
the records the session hook kept equal a replay of the event log, and the tick changes
nothing on a second run."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from app.errors import Invalid
from app.incidents import services
from app.incidents.workflow import HoldReason, State, Transition
from app.sla.jobs import run_tick
from app.sla.replay import replay
from tests.sla.conftest import at


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_hook_records_equal_the_replay_after_random_work(
    seed, db, queue, make_user, make_incident, policy
):
    rng = random.Random(seed)
    agent = make_user(roles=["agent"])
    groups = [queue(name, members=(agent,)) for name in ("Desk", "Network", "Apps")]
    policy(groups[0], targets={5: 120, 4: 240})
    policy(groups[0], kind="response", scope="ticket", name="Response", targets={5: 30})
    policy(groups[1], targets={5: 600}, pause_reasons=["awaiting_vendor"])
    now = at("2026-03-06 15:00")  # a Friday afternoon: clocks cross a weekend
    incidents = [make_incident(assignment_group=groups[0], now=now) for _ in range(3)]
    for _step in range(25):
        now += timedelta(minutes=rng.choice([5, 30, 90, 240, 900]))
        incident = rng.choice(incidents)
        action = rng.choice(["state", "assign", "priority", "reply"])
        try:
            if action == "state":
                target = rng.choice([State.IN_PROGRESS, State.ON_HOLD, State.RESOLVED])
                reason = rng.choice(list(HoldReason)) if target == State.ON_HOLD else None
                code = "solved_remotely" if target == State.RESOLVED else None
                change = Transition(target, hold_reason=reason, resolution_code=code)
                services.change_state(incident, change, actor=agent, now=now)
            elif action == "assign":
                group = rng.choice(groups)
                services.assign_incident(incident, group=group, assignee=None, actor=agent, now=now)
            elif action == "priority":
                services.override_priority(incident, rng.choice([4, 5]), reason="r", actor=agent)
            else:
                services.comment(incident, author=agent, body="hi", public=True, now=now)
            db.session.commit()
        except Invalid:
            db.session.rollback()
    assert replay() == []
    run_tick(now + timedelta(days=2))
    db.session.commit()
    assert replay() == []
    again = run_tick(now + timedelta(days=2))
    assert (again.warnings, again.breaches, again.escalations) == (0, 0, [])
