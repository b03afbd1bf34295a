"""Property (Hypothesis, through the real services and database): whatever work is done on
tickets — state changes and holds, reassignments, priority overrides, replies, reopening — the
records the session hook kept are what a replay of the event log gives, before and after the
tick, and a second tick changes nothing."""

from __future__ import annotations

import uuid
from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from app.errors import Invalid
from app.incidents import services
from app.incidents.workflow import State, Transition
from app.sla.jobs import run_tick
from app.sla.replay import replay
from app.tickets.holds import HoldReason
from tests.sla.conftest import DATABASE_EXAMPLES, at

ACTIONS = st.lists(
    st.tuples(
        st.integers(0, 2),  # which incident
        st.sampled_from([5, 30, 90, 240, 900]),  # minutes since the previous action
        st.sampled_from(["state", "assign", "priority", "reply", "reopen"]),
        st.integers(0, 2),  # which group / state / priority
        st.sampled_from(list(HoldReason)),
    ),
    min_size=1,
    max_size=20,
)
STATES = [State.IN_PROGRESS, State.ON_HOLD, State.RESOLVED]


@settings(DATABASE_EXAMPLES, max_examples=8)
@given(actions=ACTIONS)
def test_the_stored_records_are_the_replay_of_the_event_log(
    app, db, queue, make_user, make_incident, policy, actions
):
    tag = uuid.uuid4().hex[:6]  # examples share the test's database: names of their own
    agent = make_user(roles=["agent"])
    groups = [queue(f"{name} {tag}", members=(agent,)) for name in ("Desk", "Network", "Apps")]
    policy(groups[0], targets={5: 120, 4: 240})
    policy(groups[0], kind="response", name="Response", targets={5: 30})
    policy(groups[1], targets={5: 600}, pause_reasons=["awaiting_vendor"])
    policy(groups[2], scope="ticket", name="Whole ticket", targets={4: 480, 5: 960})
    now = at("2026-03-06 15:00")  # a Friday afternoon: clocks cross a weekend
    incidents = [make_incident(assignment_group=groups[0], now=now) for _ in range(3)]
    window = services.reopen_window(app.config)
    for which, minutes, action, choice, reason in actions:
        now += timedelta(minutes=minutes)
        incident = incidents[which]
        try:
            if action == "state":
                target = STATES[choice]
                change = Transition(
                    target,
                    hold_reason=reason if target == State.ON_HOLD else None,
                    resolution_code="solved_remotely" if target == State.RESOLVED else None,
                )
                services.change_state(incident, change, actor=agent, now=now)
            elif action == "assign":
                services.assign_incident(
                    incident, group=groups[choice], assignee=None, actor=agent, now=now
                )
            elif action == "priority":
                services.override_priority(incident, 4 + choice % 2, reason="r", actor=agent)
            elif action == "reply":
                services.comment(incident, author=agent, body="hi", public=True, now=now)
            else:
                services.reopen_incident(
                    incident, actor=incident.caller, reason="back", window=window, now=now
                )
            db.session.commit()
        except Invalid:
            db.session.rollback()
    ids = [i.id for i in incidents]
    assert replay(ids) == []
    run_tick(now + timedelta(days=2))
    db.session.commit()
    assert replay(ids) == []
    again = run_tick(now + timedelta(days=2))
    assert (again.warnings, again.breaches, again.escalations) == (0, 0, [])
