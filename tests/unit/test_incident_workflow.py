"""The incident lifecycle (pure): every allowed and every refused transition."""

from __future__ import annotations

import itertools

import pytest

from app.incidents.workflow import OPEN_STATES, State, Transition, plain_words, transition_problems
from app.tickets.holds import HoldReason

ALLOWED = {
    (State.NEW, State.IN_PROGRESS),
    (State.NEW, State.ON_HOLD),
    (State.NEW, State.RESOLVED),
    (State.NEW, State.CANCELED),
    (State.IN_PROGRESS, State.ON_HOLD),
    (State.IN_PROGRESS, State.RESOLVED),
    (State.IN_PROGRESS, State.CANCELED),
    (State.ON_HOLD, State.IN_PROGRESS),
    (State.ON_HOLD, State.RESOLVED),
    (State.ON_HOLD, State.CANCELED),
    (State.RESOLVED, State.IN_PROGRESS),
    (State.RESOLVED, State.CLOSED),
}


def complete(target: State) -> Transition:
    """A transition to ``target`` carrying everything it may need."""
    return Transition(
        target,
        hold_reason=HoldReason.AWAITING_VENDOR if target == State.ON_HOLD else None,
        resolution_code="solved_permanently" if target == State.RESOLVED else None,
        resolution_notes="Replaced the cable." if target == State.RESOLVED else None,
    )


@pytest.mark.parametrize(("current", "target"), list(itertools.product(State, State)))
def test_only_the_lifecycle_transitions_are_allowed(current, target):
    problems = transition_problems(current, complete(target))
    if (current, target) in ALLOWED:
        assert problems == {}
    else:
        assert "state" in problems


def test_closed_and_canceled_are_final():
    for final in (State.CLOSED, State.CANCELED):
        assert all(transition_problems(final, complete(t)) for t in State)
    assert {State.NEW, State.IN_PROGRESS, State.ON_HOLD} == OPEN_STATES


def test_on_hold_needs_a_reason():
    assert transition_problems(State.IN_PROGRESS, Transition(State.ON_HOLD)) == {
        "hold_reason": "Say what the incident is waiting for."
    }


def test_resolving_needs_a_code_and_notes():
    problems = transition_problems(State.IN_PROGRESS, Transition(State.RESOLVED))
    assert set(problems) == {"resolution_code", "resolution_notes"}
    blank_notes = Transition(State.RESOLVED, resolution_code="duplicate", resolution_notes="  ")
    assert set(transition_problems(State.NEW, blank_notes)) == {"resolution_notes"}


def test_states_in_plain_words():
    assert plain_words(State.NEW) == "Received, waiting for an agent"
    assert plain_words(State.ON_HOLD, HoldReason.AWAITING_CALLER) == "Waiting for your answer"
    assert plain_words(State.RESOLVED) == "Solved: please confirm"
