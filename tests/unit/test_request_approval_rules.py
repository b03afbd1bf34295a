"""The approval rules: level outcomes per group rule, policy parsing, routing and its
fallbacks (pure, no app)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.requests.approvals.rules import (
    Directory,
    Fallback,
    GroupRule,
    Level,
    LevelKind,
    Outcome,
    PolicyInvalid,
    RoutedTo,
    Verdict,
    level_outcome,
    parse_policy,
    route,
)

A, R = Verdict.APPROVED, Verdict.REJECTED


@pytest.mark.parametrize(
    ("rule", "approvers", "verdicts", "expected"),
    [
        (GroupRule.ANYONE, 3, [], Outcome.PENDING),
        (GroupRule.ANYONE, 3, [R, R], Outcome.PENDING),
        (GroupRule.ANYONE, 3, [R, A], Outcome.APPROVED),
        (GroupRule.ANYONE, 3, [R, R, R], Outcome.REJECTED),
        (GroupRule.EVERYONE, 3, [A, A], Outcome.PENDING),
        (GroupRule.EVERYONE, 3, [A, A, A], Outcome.APPROVED),
        (GroupRule.EVERYONE, 3, [A, R], Outcome.REJECTED),
        (GroupRule.MAJORITY, 4, [A, A], Outcome.PENDING),
        (GroupRule.MAJORITY, 4, [A, A, A], Outcome.APPROVED),
        (GroupRule.MAJORITY, 4, [R, R], Outcome.REJECTED),
        (GroupRule.MAJORITY, 3, [A, R], Outcome.PENDING),
        (GroupRule.MAJORITY, 3, [A, A], Outcome.APPROVED),
        (GroupRule.FIRST_RESPONSE, 5, [R, A, A], Outcome.REJECTED),
        (GroupRule.FIRST_RESPONSE, 5, [A], Outcome.APPROVED),
        (GroupRule.FIRST_RESPONSE, 1, [], Outcome.PENDING),
    ],
)
def test_level_outcome(rule, approvers, verdicts, expected):
    assert level_outcome(rule, approvers, verdicts) == expected


def test_level_outcome_refuses_impossible_input():
    with pytest.raises(ValueError, match="at least one approver"):
        level_outcome(GroupRule.ANYONE, 0, [])
    with pytest.raises(ValueError, match="more verdicts"):
        level_outcome(GroupRule.ANYONE, 1, [A, A])


@given(
    rule=st.sampled_from(list(GroupRule)),
    verdicts=st.lists(st.sampled_from([A, R]), min_size=1, max_size=9),
    extra=st.integers(min_value=0, max_value=4),
)
def test_outcomes_are_final_and_complete(rule, verdicts, extra):
    """Once decided, more verdicts never change the outcome; when everyone has answered the
    level is decided; approval and rejection cannot both be reachable."""
    approvers = len(verdicts) + extra
    seen = Outcome.PENDING
    for n in range(len(verdicts) + 1):
        now = level_outcome(rule, approvers, verdicts[:n])
        if seen != Outcome.PENDING:
            assert now == seen
        seen = now
    if extra == 0:
        assert seen != Outcome.PENDING
    if seen == Outcome.APPROVED and rule != GroupRule.FIRST_RESPONSE:
        assert verdicts.count(A) >= 1


def test_parse_policy_drops_none_levels_and_checks_groups():
    levels = parse_policy(
        [
            {"kind": "none"},
            {"kind": "manager"},
            {"kind": "group", "group_id": "7", "rule": "majority"},
        ],
        frozenset({7}),
    )
    assert levels == (Level(LevelKind.MANAGER), Level(LevelKind.GROUP, 7, GroupRule.MAJORITY))
    with pytest.raises(PolicyInvalid) as refused:
        parse_policy(
            [
                {"kind": "boss"},
                {"kind": "group", "group_id": 8},
                {"kind": "group", "group_id": 7, "rule": "loudest"},
            ],
            frozenset({7}),
        )
    assert set(refused.value.problems) == {"levels.0.kind", "levels.1.group_id", "levels.2.rule"}
    with pytest.raises(PolicyInvalid):
        parse_policy("manager", frozenset())  # type: ignore[arg-type]


FACTS = Directory(
    requested_for=1,
    manager=2,
    managers_manager=3,
    service_owner=4,
    group_members={10: [5, 6, 1]},
    fulfilment_manager=8,
    fulfilment_members=[8, 9],
    administrators=[99],
)


@pytest.mark.parametrize(
    ("level", "approvers"),
    [
        (Level(LevelKind.MANAGER), (2,)),
        (Level(LevelKind.MANAGERS_MANAGER), (3,)),
        (Level(LevelKind.SERVICE_OWNER), (4,)),
        (Level(LevelKind.GROUP, 10, GroupRule.EVERYONE), (5, 6)),  # never the requester
    ],
)
def test_route_names_the_people_of_the_level(level, approvers):
    routing = route(level, FACTS)
    assert routing.approvers == approvers
    assert routing.fallback is None


def test_a_missing_manager_falls_back_step_by_step():
    facts = Directory(
        requested_for=1, fulfilment_manager=8, fulfilment_members=[8, 9], administrators=[99]
    )
    routing = route(Level(LevelKind.MANAGER), facts)
    assert (routing.approvers, routing.to, routing.fallback) == (
        (8,),
        RoutedTo.FULFILMENT_MANAGER,
        Fallback.NO_MANAGER,
    )
    routing = route(
        Level(LevelKind.MANAGER),
        Directory(requested_for=1, fulfilment_members=[8, 9], administrators=[99]),
    )
    assert (routing.approvers, routing.to, routing.rule) == (
        (8, 9),
        RoutedTo.FULFILMENT_GROUP,
        GroupRule.ANYONE,
    )
    routing = route(
        Level(LevelKind.SERVICE_OWNER), Directory(requested_for=1, administrators=[1, 99])
    )
    assert (routing.approvers, routing.to) == ((99,), RoutedTo.ADMINISTRATORS)
    assert route(Level(LevelKind.MANAGER), Directory(requested_for=1)).approvers == ()


def test_the_person_who_ordered_never_approves_and_routing_falls_back():
    # A manager (2) orders for their report (1): the manager level goes past them.
    facts = Directory(
        requested_for=1,
        ordered_by=2,
        manager=2,
        fulfilment_manager=2,
        fulfilment_members=[2, 9],
        administrators=[99],
    )
    routing = route(Level(LevelKind.MANAGER), facts)
    assert (routing.approvers, routing.to, routing.fallback) == (
        (9,),
        RoutedTo.FULFILMENT_GROUP,
        Fallback.ORDERED_BY,
    )
    # In a group, the others decide; alone in it, it falls back; the requester says SELF.
    group = Directory(requested_for=1, ordered_by=2, group_members={10: [1, 2, 5]})
    assert route(Level(LevelKind.GROUP, 10, GroupRule.EVERYONE), group).approvers == (5,)
    both = Directory(
        requested_for=1, ordered_by=2, group_members={10: [2, 1]}, administrators=[2, 99]
    )
    routing = route(Level(LevelKind.GROUP, 10), both)
    assert (routing.approvers, routing.fallback) == ((99,), Fallback.SELF)


@given(
    requester=st.integers(1, 5),
    orderer=st.integers(1, 5),
    manager=st.one_of(st.none(), st.integers(1, 5)),
    members=st.lists(st.integers(1, 5), max_size=4),
    fulfilment=st.lists(st.integers(1, 5), max_size=3),
    admins=st.lists(st.integers(1, 5), min_size=1, max_size=3),
    kind=st.sampled_from([LevelKind.MANAGER, LevelKind.GROUP, LevelKind.SERVICE_OWNER]),
)
def test_routing_never_goes_to_nobody_nor_to_a_party(
    requester, orderer, manager, members, fulfilment, admins, kind
):
    facts = Directory(
        requested_for=requester,
        ordered_by=orderer,
        manager=manager,
        service_owner=manager,
        group_members={1: members},
        fulfilment_members=fulfilment,
        administrators=admins,
    )
    routing = route(Level(kind, 1 if kind == LevelKind.GROUP else None), facts)
    if set(admins) - {requester, orderer}:
        assert routing.approvers
    assert requester not in routing.approvers
    assert orderer not in routing.approvers
    assert len(set(routing.approvers)) == len(routing.approvers)
