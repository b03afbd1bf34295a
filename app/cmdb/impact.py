"""Impact analysis over the CMDB graph: what a failure hits and why; common causes of incidents.

Pure code over a graph from :func:`app.cmdb.graph.build_graph` (edge convention and diagram in
that module). Results are frozen dataclasses of plain values, safe to cache and to render.

Propagation rules (``impact``)
------------------------------
* A failing CI is **down** (depth 0). A failure crosses relations as their type says.
* A CI reached over a plain link takes the worst state among the CIs reaching it: a down
  provider makes it down, a degraded one makes it degraded. Degraded propagates as degraded and
  never adds up to down: two degraded providers still make a degraded consumer.
* A CI with a :class:`~app.cmdb.graph.Redundancy` rule (cluster, farm, pool) weighs failures
  arriving over *membership* links (member of / contains): it is down when fewer members than
  the rule requires are up and at least one member is down because of this failure; otherwise a
  down or degraded member makes it degraded. Without a rule, membership links are plain: no
  redundancy is assumed that nobody declared. Plain links into a group still pass failures on.
* Lifecycle statuses are treated as :class:`~app.cmdb.graph.ImpactOptions` say. ``IGNORED``
  CIs (retired and planned, by default) neither fail, nor propagate, nor count as members.
  ``ALREADY_DOWN`` CIs (in maintenance, by default) count as down members when a group's rule
  is weighed; what merely depends on them is affected by the maintenance, not by this failure,
  so it is not reported unless the failure reaches it. ``NORMAL`` CIs behave like in-service
  ones.
* States are the least fixed point of these monotone rules, so cycles terminate (a CI can only
  get worse, at most twice) and the states do not depend on traversal order. Depths and paths
  are then the shortest explanation over the links that justify each state, visited in the
  graph's sorted order, so every reported path is a real chain from a failing CI and its length
  is the CI's depth.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

import networkx as nx

from app.cmdb.graph import (
    BUSINESS_SERVICE,
    MEMBER,
    CiId,
    ImpactOptions,
    Lifecycle,
    Path,
    Treatment,
    ci_of,
    failure_predecessors,
    failure_successors,
    make_path,
    sort_key,
    walk_needs,
)

_DEGRADED, _DOWN = 1, 2
IN_SERVICE = Lifecycle.IN_SERVICE


class State(StrEnum):
    """How badly an affected CI is hit."""

    DEGRADED = "degraded"
    DOWN = "down"


_STATES = {_DEGRADED: State.DEGRADED, _DOWN: State.DOWN}


@dataclass(frozen=True)
class RedundancyDecision:
    """How a group's redundancy rule weighed the members this failure reached."""

    ci_id: CiId
    name: str
    ci_class: str
    rule: str
    members: int
    down: int
    already_down: int
    degraded: int
    required: int
    state: State

    def describe(self) -> str:
        """One line for people.

        E.g. "cluster db: 1 of 3 members down, needs 1 up (at least 1 up) → degraded, not down".
        """
        extra = f" ({self.already_down} already before this failure)" if self.already_down else ""
        if self.degraded:
            extra += f", {self.degraded} degraded"
        outcome = "degraded, not down" if self.state is State.DEGRADED else "down"
        return (
            f"{self.ci_class} {self.name}: {self.down} of {self.members} members down{extra}, "
            f"needs {self.required} up ({self.rule}) → {outcome}"
        )


@dataclass(frozen=True)
class AffectedCI:
    """One CI the failure reaches; ``via`` is the previous CI on its explaining path."""

    ci_id: CiId
    name: str
    ci_class: str
    state: State
    depth: int
    via: CiId | None


@dataclass(frozen=True)
class ServiceImpact:
    """An affected business service, the path that explains it and the decisions on the way."""

    ci_id: CiId
    name: str
    state: State
    depth: int
    users: int
    path: Path
    decisions: tuple[RedundancyDecision, ...]

    def explain(self) -> str:
        """The path and the redundancy decisions on it, as lines for an incident page."""
        lines = [f"{self.name} is {self.state}: {self.path.describe()}"]
        return "\n".join(lines + [f"  {d.describe()}" for d in self.decisions])


@dataclass(frozen=True)
class PeopleCount:
    """People hit: users of affected business services plus assigned users of affected assets.

    ``affected`` counts every affected CI, ``cut_off`` only those that are down. The counts are
    ``exact`` when every contribution came with user ids (or only one came as a bare number);
    otherwise people using several services may be counted more than once.
    """

    affected: int
    cut_off: int
    exact: bool


@dataclass(frozen=True)
class ImpactResult:
    """The answer to "if these CIs fail, what is hit, and why?".

    ``affected`` lists the failing CIs first (depth 0), then the others by depth. ``ignored``
    holds the failing CIs the options told us to ignore (retired ones, by default).
    """

    failing: tuple[CiId, ...]
    ignored: tuple[CiId, ...]
    affected: tuple[AffectedCI, ...]
    services: tuple[ServiceImpact, ...]
    people: PeopleCount
    decisions: tuple[RedundancyDecision, ...]
    _by_id: Mapping[CiId, AffectedCI] = field(repr=False, compare=False)

    def get(self, ci_id: CiId) -> AffectedCI | None:
        """The affected CI ``ci_id``, or ``None`` when the failure does not reach it."""
        return self._by_id.get(ci_id)

    def chain(self, ci_id: CiId) -> tuple[CiId, ...]:
        """The CIs from a failing CI to ``ci_id``. :raise KeyError: ``ci_id`` is not affected."""
        chain = [ci_id]
        while (previous := self._by_id[chain[-1]].via) is not None:
            chain.append(previous)
        return tuple(reversed(chain))

    def explain(self, graph: nx.DiGraph, ci_id: CiId) -> Path:
        """The :class:`Path` that explains why ``ci_id`` is affected. :raise KeyError: see chain."""
        return make_path(graph, self.chain(ci_id))


class _Group:
    """Running tally of one redundancy group during a propagation (counts, not rescans)."""

    __slots__ = ("members", "required", "pre_down", "down", "newly_down", "degraded")

    def __init__(self, members: set[CiId], required: int, pre_down: set[CiId]) -> None:
        self.members, self.required, self.pre_down = members, required, pre_down
        self.down: set[CiId] = set(pre_down)  # members down, for whatever reason
        self.newly_down = 0  # members down because of this failure
        self.degraded: set[CiId] = set()

    def mark(self, member: CiId, state: int) -> None:
        if state == _DEGRADED:
            self.degraded.add(member)
        elif member not in self.down:
            self.down.add(member)
            self.newly_down += 1

    def outcome(self) -> int:
        up = len(self.members) - len(self.down)
        return _DOWN if self.newly_down and up < self.required else _DEGRADED


def impact(
    graph: nx.DiGraph, failing_ci_ids: Iterable[CiId], options: ImpactOptions = ImpactOptions()
) -> ImpactResult:
    """What the failure of ``failing_ci_ids`` hits, how badly, how many people, and why.

    :raise ValueError: an unknown CI id, or more than ``options.max_cis`` failing CIs.
    """
    failing = tuple(dict.fromkeys(failing_ci_ids))
    if len(failing) > options.max_cis:
        raise ValueError(f"{len(failing)} failing CIs; at most {options.max_cis} per question")
    given = [ci_of(graph, c) for c in failing]
    ignored = tuple(c.id for c in given if options.treatment(c.status) is Treatment.IGNORED)
    starts = [c.id for c in given if c.id not in ignored]
    state, groups = _propagate(graph, starts, options)
    depth, via, order = _explain(graph, starts, state, groups)

    cis = graph.graph["cis"]
    affected = tuple(
        AffectedCI(c, ci.name, ci.ci_class, _STATES[state[c]], depth[c], via[c])
        for c in order
        for ci in (cis[c],)
    )
    decisions = {g: _decision(graph, g, tally) for g, tally in groups.items()}
    services = []
    for a in affected:
        if a.ci_class == BUSINESS_SERVICE:
            ci = cis[a.ci_id]
            chain = _chain(via, a.ci_id)
            on_path = tuple(  # the groups the path enters through one of their members
                decisions[group]
                for member, group in zip(chain, chain[1:], strict=False)
                if group in groups and member in groups[group].members
            )
            users = len(ci.user_ids) if ci.user_ids is not None else ci.users
            path = make_path(graph, chain)
            services.append(ServiceImpact(a.ci_id, a.name, a.state, a.depth, users, path, on_path))
    return ImpactResult(
        failing=tuple(starts),
        ignored=ignored,
        affected=affected,
        services=tuple(services),
        people=_count_people(graph, affected),
        decisions=tuple(decisions[g] for g in order if g in decisions),
        _by_id=MappingProxyType({a.ci_id: a for a in affected}),
    )


def _chain(via: Mapping[CiId, CiId | None], ci_id: CiId) -> tuple[CiId, ...]:
    chain = [ci_id]
    while (previous := via[chain[-1]]) is not None:
        chain.append(previous)
    return tuple(reversed(chain))


def what_if(
    graph: nx.DiGraph, ci_ids: Iterable[CiId], options: ImpactOptions = ImpactOptions()
) -> ImpactResult:
    """The impact of several CIs failing together (an agent's "what if"); see :func:`impact`."""
    return impact(graph, ci_ids, options)


def _propagate(
    graph: nx.DiGraph, starts: list[CiId], options: ImpactOptions
) -> tuple[dict[CiId, int], dict[CiId, _Group]]:
    """Least fixed point of the propagation rules: the state of every CI the failure reaches."""
    cis = graph.graph["cis"]
    treatment = options.treatment
    state: dict[CiId, int] = dict.fromkeys(starts, _DOWN)
    groups: dict[CiId, _Group] = {}
    queue = deque(starts)
    while queue:
        u = queue.popleft()
        su = state[u]
        for v, kind in failure_successors(graph, u):
            ci = cis[v]
            if ci.status is not IN_SERVICE and treatment(ci.status) is Treatment.IGNORED:
                continue
            if kind == MEMBER and ci.redundancy is not None:
                tally = groups.get(v) or groups.setdefault(v, _open_group(graph, v, options))
                tally.mark(u, su)
                reached = tally.outcome()
            else:
                reached = su
            if reached > state.get(v, 0):
                state[v] = reached
                queue.append(v)
    return state, groups


def _open_group(graph: nx.DiGraph, group: CiId, options: ImpactOptions) -> _Group:
    members: set[CiId] = set()
    pre_down: set[CiId] = set()
    for member, kind in failure_predecessors(graph, group):
        treatment = options.treatment(graph.graph["cis"][member].status)
        if kind == MEMBER and treatment is not Treatment.IGNORED:
            members.add(member)
            if treatment is Treatment.ALREADY_DOWN:
                pre_down.add(member)
    rule = graph.graph["cis"][group].redundancy
    return _Group(members, rule.required(len(members)), pre_down)


def _explain(
    graph: nx.DiGraph, starts: list[CiId], state: dict[CiId, int], groups: dict[CiId, _Group]
) -> tuple[dict[CiId, int], dict[CiId, CiId | None], list[CiId]]:
    """Breadth-first search over the links that justify each final state.

    A plain link justifies its target when the source is at least as bad; a membership link
    into a group justifies it when the group's rule gave the group its state and the member is
    down (or the group is only degraded). Every affected CI is reached: the propagation itself
    is such a chain.
    """
    depth: dict[CiId, int] = dict.fromkeys(starts, 0)
    via: dict[CiId, CiId | None] = dict.fromkeys(starts)
    order = list(starts)
    queue = deque(starts)
    while queue:
        u = queue.popleft()
        su = state[u]
        for v, kind in failure_successors(graph, u):
            if v in depth or v not in state:
                continue
            sv = state[v]
            tally = groups.get(v) if kind == MEMBER else None
            if tally is not None:
                ok = tally.outcome() == sv and (su == _DOWN or sv == _DEGRADED)
            else:
                ok = su >= sv
            if ok:
                depth[v], via[v] = depth[u] + 1, u
                order.append(v)
                queue.append(v)
    assert len(order) == len(state), "every affected CI has an explanation"
    return depth, via, order


def _decision(graph: nx.DiGraph, group: CiId, tally: _Group) -> RedundancyDecision:
    ci = ci_of(graph, group)
    assert ci.redundancy is not None
    return RedundancyDecision(
        ci_id=group,
        name=ci.name,
        ci_class=ci.ci_class,
        rule=ci.redundancy.describe(),
        members=len(tally.members),
        down=len(tally.down),
        already_down=len(tally.pre_down),
        degraded=len(tally.degraded - tally.down),
        required=tally.required,
        state=_STATES[tally.outcome()],
    )


def _count_people(graph: nx.DiGraph, affected: tuple[AffectedCI, ...]) -> PeopleCount:
    every = _people(graph, affected)
    down = _people(graph, (a for a in affected if a.state is State.DOWN))
    ids, bare = every
    exact = not bare or (len(bare) == 1 and not ids)
    return PeopleCount(len(ids) + sum(bare), len(down[0]) + sum(down[1]), exact)


def _people(graph: nx.DiGraph, affected: Iterable[AffectedCI]) -> tuple[set[str], list[int]]:
    """Known people (user ids, assigned users) and bare user counts of services without ids."""
    ids: set[str] = set()
    bare: list[int] = []
    for a in affected:
        ci = graph.graph["cis"][a.ci_id]
        if ci.assigned_user is not None:
            ids.add(ci.assigned_user)
        if a.ci_class == BUSINESS_SERVICE:
            if ci.user_ids is not None:
                ids |= ci.user_ids
            elif ci.users:
                bare.append(ci.users)
    return ids, bare


@dataclass(frozen=True)
class RootCauseCandidate:
    """A CI that several CIs with open incidents need: a likely common cause.

    ``score`` is the share of the incident CIs it explains (1.0: all of them); ``distance`` the
    mean depth to them; ``evidence`` one path per explained CI, from the candidate to it.
    """

    ci_id: CiId
    name: str
    ci_class: str
    score: float
    distance: float
    explains: tuple[CiId, ...]
    unexplained: tuple[CiId, ...]
    evidence: tuple[Path, ...]


def root_cause_candidates(
    graph: nx.DiGraph,
    ci_ids_with_open_incidents: Iterable[CiId],
    options: ImpactOptions = ImpactOptions(),
    *,
    min_score: float = 0.5,
    limit: int = 10,
) -> tuple[RootCauseCandidate, ...]:
    """CIs that all, or at least ``min_score`` of, the given CIs need, best first.

    A CI with an incident can itself be the candidate (it explains itself at distance 0).
    Order: highest score, then smallest mean distance, then sorted id, so equal evidence always
    gives the same answer.

    :raise ValueError: an unknown CI id, more than ``options.max_cis`` CIs, or ``min_score``
        outside (0, 1].
    """
    incidents = tuple(dict.fromkeys(ci_ids_with_open_incidents))
    if len(incidents) > options.max_cis:
        raise ValueError(f"{len(incidents)} CIs; at most {options.max_cis} per question")
    if not 0 < min_score <= 1:
        raise ValueError(f"min_score must be in (0, 1], not {min_score}")
    searches = {i: walk_needs(graph, i, options) for i in incidents}
    explained: dict[CiId, list[CiId]] = {}
    for i in incidents:
        for c in searches[i][0]:
            explained.setdefault(c, []).append(i)
    ranked = []
    for c, covered in explained.items():
        score = len(covered) / len(incidents)
        if score >= min_score:
            distance = sum(searches[i][0][c] for i in covered) / len(covered)
            ranked.append((-score, distance, sort_key(c), c, covered))
    ranked.sort(key=lambda r: r[:3])
    candidates = []
    for minus_score, distance, _, c, covered in ranked[:limit]:
        ci = graph.graph["cis"][c]
        evidence = tuple(make_path(graph, _towards(searches[i][1], c)) for i in covered)
        missing = tuple(i for i in incidents if i not in covered)
        candidates.append(
            RootCauseCandidate(
                c, ci.name, ci.ci_class, -minus_score, distance, tuple(covered), missing, evidence
            )
        )
    return tuple(candidates)


def _towards(needed_by: Mapping[CiId, CiId | None], start: CiId) -> tuple[CiId, ...]:
    chain = [start]
    while (nxt := needed_by[chain[-1]]) is not None:
        chain.append(nxt)
    return tuple(chain)
