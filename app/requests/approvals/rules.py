"""Approval policies and rules (a pure core: no Flask, no database).

An item's approval policy is a list of sequential levels; the item waits at each level until
the level is approved, and a rejected level ends the item. A level asks:

* ``manager`` — the manager of the person the item is for (the directory's manager chain);
* ``managers_manager`` — that manager's manager;
* ``service_owner`` — the item's service owner;
* ``group`` — the members of a named group, with a rule:

  ==================  ===================================  ====================================
  rule                approved when                        rejected when
  ==================  ===================================  ====================================
  ``anyone``          one approver approves                every approver rejected
  ``everyone``        every approver approved              one approver rejects
  ``majority``        more than half approved              more than half can no longer approve
  ``first_response``  the first decision is an approval    the first decision is a rejection
  ==================  ===================================  ====================================

A ``none`` level asks nobody (a policy of only ``none`` levels needs no approval).

Routing never leaves a level without an approver: when the person a level names is missing
(no manager in the directory, a deactivated service owner, an empty group), :func:`route`
falls back to the fulfilment group's manager, then to the fulfilment group's members (any one
of them decides), then to the administrators, and says why in ``Routing.fallback``.

Separation of duties: the parties to an item (the person it is for and the person who
ordered it) never approve it. Routing skips them wherever they appear (a manager ordering for
their report, a requester in the approving group, a requester who is an administrator) and
falls back as above when nobody else is left.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from app.i18n import N_
from app.requests.problems import Problems

__all__ = [
    "Directory",
    "Fallback",
    "GroupRule",
    "Level",
    "LevelKind",
    "Outcome",
    "PolicyInvalid",
    "RoutedTo",
    "Routing",
    "Verdict",
    "level_outcome",
    "parse_policy",
    "policy_to_json",
    "route",
]

MAX_LEVELS = 10


class LevelKind(enum.StrEnum):
    NONE = "none"
    MANAGER = "manager"
    MANAGERS_MANAGER = "managers_manager"
    SERVICE_OWNER = "service_owner"
    GROUP = "group"

    @property
    def label(self) -> str:
        return {
            "none": N_("No approval"),
            "manager": N_("The requester's manager"),
            "managers_manager": N_("The manager's manager"),
            "service_owner": N_("The item's service owner"),
            "group": N_("A group"),
        }[self.value]


class GroupRule(enum.StrEnum):
    ANYONE = "anyone"
    EVERYONE = "everyone"
    MAJORITY = "majority"
    FIRST_RESPONSE = "first_response"

    @property
    def label(self) -> str:
        return {
            "anyone": N_("Anyone approves"),
            "everyone": N_("Everyone approves"),
            "majority": N_("A majority approves"),
            "first_response": N_("The first response decides"),
        }[self.value]


class Verdict(enum.StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"


class Outcome(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class PolicyInvalid(Problems):
    """A policy breaks a rule; ``problems`` maps ``levels.<i>.<field>`` to a message."""


@dataclass(frozen=True)
class Level:
    kind: LevelKind
    group_id: int | None = None
    rule: GroupRule = GroupRule.ANYONE

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind.value}
        if self.kind == LevelKind.GROUP:
            data |= {"group_id": self.group_id, "rule": self.rule.value}
        return data


def parse_policy(raw: Sequence[Mapping[str, Any]], group_ids: frozenset[int]) -> tuple[Level, ...]:
    """The levels of a policy, checked; ``none`` levels are dropped. ``group_ids`` are the
    groups that exist.

    :raise PolicyInvalid: an unknown kind or rule, a group level without an existing group,
        more than :data:`MAX_LEVELS` levels.
    """
    if not isinstance(raw, Sequence) or isinstance(raw, str | bytes):
        raise PolicyInvalid({"levels": "An approval policy is a list of levels."})
    if len(raw) > MAX_LEVELS:
        raise PolicyInvalid({"levels": f"A policy has at most {MAX_LEVELS} levels."})
    problems: dict[str, str] = {}
    levels: list[Level] = []
    for index, item in enumerate(raw):
        where, title = f"levels.{index}", f"Level {index + 1}"
        item = item if isinstance(item, Mapping) else {}
        try:
            kind = LevelKind(str(item.get("kind") or ""))
        except ValueError:
            problems[f"{where}.kind"] = f"{title}: choose who approves from the list."
            continue
        if kind == LevelKind.NONE:
            continue
        if kind != LevelKind.GROUP:
            levels.append(Level(kind))
            continue
        try:
            rule = GroupRule(str(item.get("rule") or GroupRule.ANYONE.value))
        except ValueError:
            problems[f"{where}.rule"] = f"{title}: choose a rule from the list."
            continue
        try:
            group_id = int(str(item.get("group_id")))
        except ValueError:
            group_id = None
        if group_id not in group_ids:
            problems[f"{where}.group_id"] = f"{title}: choose the group that approves."
            continue
        levels.append(Level(kind, group_id, rule))
    if problems:
        raise PolicyInvalid(problems)
    return tuple(levels)


def policy_to_json(levels: Sequence[Level]) -> list[dict[str, Any]]:
    return [level.to_json() for level in levels]


def level_outcome(rule: GroupRule, approvers: int, verdicts: Sequence[Verdict]) -> Outcome:
    """Whether a level is decided, from its number of approvers and the verdicts given so far,
    in the order they were given (``first_response`` looks at the first).

    :raise ValueError: no approver, or more verdicts than approvers.
    """
    if approvers < 1:
        raise ValueError("a level needs at least one approver")
    if len(verdicts) > approvers:
        raise ValueError("more verdicts than approvers")
    approved = sum(1 for v in verdicts if v == Verdict.APPROVED)
    rejected = len(verdicts) - approved
    if rule == GroupRule.FIRST_RESPONSE:
        if not verdicts:
            return Outcome.PENDING
        return Outcome.APPROVED if verdicts[0] == Verdict.APPROVED else Outcome.REJECTED
    if rule == GroupRule.ANYONE:
        needed = 1
    elif rule == GroupRule.EVERYONE:
        needed = approvers
    else:
        needed = approvers // 2 + 1
    if approved >= needed:
        return Outcome.APPROVED
    if approvers - rejected < needed:  # too few left who could still approve
        return Outcome.REJECTED
    return Outcome.PENDING


@dataclass(frozen=True)
class Directory:
    """What routing needs to know, as ids of *active* people. ``group_members`` holds the
    members of the groups the policy names; ``ordered_by`` is the person who placed the order
    (None or ``requested_for`` when they ordered for themselves)."""

    requested_for: int
    manager: int | None = None
    managers_manager: int | None = None
    service_owner: int | None = None
    group_members: Mapping[int, Sequence[int]] = field(default_factory=dict)
    fulfilment_manager: int | None = None
    fulfilment_members: Sequence[int] = ()
    administrators: Sequence[int] = ()
    ordered_by: int | None = None

    @property
    def parties(self) -> frozenset[int]:
        """Who may never approve the item: the person it is for and whoever ordered it."""
        return frozenset(i for i in (self.requested_for, self.ordered_by) if i is not None)


class Fallback(enum.StrEnum):
    """Why a level went to someone other than whom it names."""

    NO_MANAGER = "no_manager"
    NO_MANAGERS_MANAGER = "no_managers_manager"
    NO_SERVICE_OWNER = "no_service_owner"
    EMPTY_GROUP = "empty_group"
    SELF = "self"  # the only approver would have been the person the item is for
    ORDERED_BY = "ordered_by"  # the only approver would have been the person who ordered it


class RoutedTo(enum.StrEnum):
    NAMED = "named"  # whom the level names
    FULFILMENT_MANAGER = "fulfilment_manager"
    FULFILMENT_GROUP = "fulfilment_group"
    ADMINISTRATORS = "administrators"


@dataclass(frozen=True)
class Routing:
    """Who decides a level, under which rule, and why when it is not whom the level names.
    ``approvers`` is empty only when nobody at all could approve (no active administrator)."""

    approvers: tuple[int, ...]
    rule: GroupRule
    to: RoutedTo = RoutedTo.NAMED
    fallback: Fallback | None = None


def _unique(ids: Sequence[int | None]) -> tuple[int, ...]:
    return tuple(dict.fromkeys(i for i in ids if i is not None))


def _named(level: Level, facts: Directory) -> tuple[tuple[int, ...], Fallback]:
    if level.kind == LevelKind.MANAGER:
        return _unique([facts.manager]), Fallback.NO_MANAGER
    if level.kind == LevelKind.MANAGERS_MANAGER:
        return _unique([facts.managers_manager]), Fallback.NO_MANAGERS_MANAGER
    if level.kind == LevelKind.SERVICE_OWNER:
        return _unique([facts.service_owner]), Fallback.NO_SERVICE_OWNER
    members = _unique(list(facts.group_members.get(level.group_id or 0, ())))
    return members, Fallback.EMPTY_GROUP


def route(level: Level, facts: Directory) -> Routing:
    """Who approves ``level`` for the item (see the module docstring for the fallbacks)."""
    if level.kind == LevelKind.NONE:
        raise ValueError("a 'none' level asks nobody")
    rule = level.rule if level.kind == LevelKind.GROUP else GroupRule.ANYONE
    named, why = _named(level, facts)
    parties = facts.parties
    others = tuple(i for i in named if i not in parties)
    if others:
        return Routing(others, rule)
    if named:  # only a party to the item: someone else must decide
        why = Fallback.SELF if facts.requested_for in named else Fallback.ORDERED_BY
    candidates = (
        (RoutedTo.FULFILMENT_MANAGER, _unique([facts.fulfilment_manager])),
        (RoutedTo.FULFILMENT_GROUP, _unique(list(facts.fulfilment_members))),
        (RoutedTo.ADMINISTRATORS, _unique(list(facts.administrators))),
    )
    for to, ids in candidates:
        ids = tuple(i for i in ids if i not in parties)
        if ids:
            return Routing(ids, GroupRule.ANYONE, to, why)
    return Routing((), GroupRule.ANYONE, RoutedTo.ADMINISTRATORS, why)
