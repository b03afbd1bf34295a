"""Impact analysis over the CMDB graph: what a failure hits and why; common causes of incidents.

Pure code over a graph from :func:`app.cmdb.graph.vocabulary.build_graph` (edge convention and
diagram in that module). Results are immutable plain values (frozen dataclasses, named tuples),
safe to cache and to render. :mod:`app.cmdb.impact.engine` gives the same answers on a compact
index.

Propagation rules (``impact``)
------------------------------
* A failing CI is **down** (depth 0). A failure crosses relations as their type says.
* A CI reached over a plain link takes the worst state among the CIs reaching it: a down
  provider makes it down, a degraded one makes it degraded. Degraded propagates as degraded and
  never adds up to down: two degraded providers still make a degraded consumer.
* A CI with a :class:`~app.cmdb.graph.vocabulary.Redundancy` rule (cluster, farm, pool) weighs
  failures arriving over *membership* links (member of / contains): it is down when fewer members
  than the rule requires are up and at least one member is down because of this failure; otherwise a
  down or degraded member makes it degraded. Without a rule, membership links are plain: no
  redundancy is assumed that nobody declared. Plain links into a group still pass failures on.
* Lifecycle statuses are treated as :class:`~app.cmdb.graph.vocabulary.ImpactOptions` say.
  ``IGNORED`` CIs (retired and planned, by default) neither fail, nor propagate, nor count as
  members. ``ALREADY_DOWN`` CIs (in maintenance, by default) count as down members when a group's
  rule is weighed; what merely depends on them is affected by the maintenance, not by this failure,
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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:  # the types here (State, ImpactResult) load without networkx (issue 20)
    import networkx as nx

from app.cmdb.graph.vocabulary import (
    BUSINESS_SERVICE,
    CI,
    MEMBER,
    CiId,
    ImpactOptions,
    Lifecycle,
    Path,
    Redundancy,
    Treatment,
    ci_of,
    failure_predecessors,
    failure_successors,
    make_path,
    towards,
)
from app.cmdb.root_causes import (  # noqa: F401  (re-exported: callers import them from here)
    RootCauseCandidate,
    root_cause_candidates,
)

_DEGRADED, _DOWN = 1, 2
IN_SERVICE = Lifecycle.IN_SERVICE


class State(StrEnum):
    """How badly an affected CI is hit."""

    DEGRADED = "degraded"
    DOWN = "down"


_STATES = {_DEGRADED: State.DEGRADED, _DOWN: State.DOWN}


class RedundancyDecision(NamedTuple):
    """How a group's redundancy rule weighed the members this failure reached.

    A named tuple, like :class:`AffectedCI`: a datacenter failure weighs thousands of groups.
    """

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


class AffectedCI(NamedTuple):
    """One CI the failure reaches; ``via`` is the previous CI on its explaining path.

    A named tuple rather than a frozen dataclass: an estate-wide answer holds a hundred
    thousand of them, and a tuple is built three times faster.
    """

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


class ServiceBrief(NamedTuple):
    """An affected business service without its path: what counts and lists need."""

    ci_id: CiId
    name: str
    state: State
    users: int


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

    ``affected`` lists the failing CIs first (depth 0), then the others by depth. ``affected``,
    ``services`` and ``decisions`` are tuples here, and sequences made on read in the compact
    engine (:class:`~app.cmdb.impact.lazy.Lazy`, equal to the tuples of the same items).
    ``ignored`` holds the failing CIs the options told us to ignore (retired ones, by default).
    """

    failing: tuple[CiId, ...]
    ignored: tuple[CiId, ...]
    affected: Sequence[AffectedCI]
    services: Sequence[ServiceImpact]
    people: PeopleCount
    decisions: Sequence[RedundancyDecision]
    _by_id: Mapping[CiId, AffectedCI] = field(repr=False, compare=False)

    def brief_services(self) -> tuple[ServiceBrief, ...]:
        """The affected services in order, without paths: cheap where paths are made on read
        (an array's failure reaches a thousand services; a page counts them and shows a few)."""
        brief = getattr(self.services, "brief", None)
        if brief is not None:
            return brief()
        return tuple(ServiceBrief(s.ci_id, s.name, s.state, s.users) for s in self.services)

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
        """The :class:`Path` that explains why ``ci_id`` is affected. :raise KeyError: see chain.

        ``graph`` is the networkx graph, or the :class:`~app.cmdb.impact.index.CompactGraph` the
        result was computed on.
        """
        import networkx as nx

        chain = self.chain(ci_id)
        if isinstance(graph, nx.DiGraph):
            return make_path(graph, chain)
        return graph.path(graph.node(c) for c in chain)


class GroupTally:
    """Running tally of one redundancy group during a propagation (counts, not rescans).

    Members are whatever the engine names CIs by (ids here, dense ints in the compact engine).
    """

    __slots__ = ("members", "required", "pre_down", "down", "newly_down", "degraded")

    def __init__(self, members: set[CiId], required: int, pre_down: set[CiId]) -> None:
        self.members, self.required, self.pre_down = members, required, pre_down
        self.down: set[CiId] = set(pre_down)  # members down, for whatever reason
        self.newly_down = 0  # members down because of this failure
        self.degraded: set[CiId] = set()

    def mark(self, member: CiId, state: int) -> int:
        """Count ``member`` as down or degraded; the group's resulting state."""
        if state == _DEGRADED:
            self.degraded.add(member)
        elif member not in self.down:
            self.down.add(member)
            self.newly_down += 1
        return self.outcome()

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
    decisions = {
        g: redundancy_decision(g, ci.name, ci.ci_class, ci.redundancy, tally)
        for g, tally in groups.items()
        for ci in (cis[g],)
    }
    services = []
    for a in affected:
        if a.ci_class == BUSINESS_SERVICE:
            chain = chain_of(via, a.ci_id)
            on_path = tuple(  # the groups the path enters through one of their members
                decisions[group]
                for member, group in zip(chain, chain[1:], strict=False)
                if group in groups and member in groups[group].members
            )
            ci = cis[a.ci_id]
            users = len(ci.user_ids) if ci.user_ids is not None else ci.users
            path = make_path(graph, chain)
            services.append(ServiceImpact(a.ci_id, a.name, a.state, a.depth, users, path, on_path))
    return ImpactResult(
        failing=tuple(starts),
        ignored=ignored,
        affected=affected,
        services=tuple(services),
        people=count_people(
            people_of(cis[a.ci_id], a.state is State.DOWN, a.ci_class == BUSINESS_SERVICE)
            for a in affected
        ),
        decisions=tuple(decisions[g] for g in order if g in decisions),
        _by_id=MappingProxyType({a.ci_id: a for a in affected}),
    )


def chain_of(via: Mapping[Any, Any], ci: Any) -> tuple[Any, ...]:
    """The chain from a failing CI to ``ci`` along ``via`` (``None`` at a failing CI)."""
    return towards(via, ci)[::-1]


def what_if(
    graph: nx.DiGraph, ci_ids: Iterable[CiId], options: ImpactOptions = ImpactOptions()
) -> ImpactResult:
    """The impact of several CIs failing together (an agent's "what if"); see :func:`impact`."""
    return impact(graph, ci_ids, options)


def _propagate(
    graph: nx.DiGraph, starts: list[CiId], options: ImpactOptions
) -> tuple[dict[CiId, int], dict[CiId, GroupTally]]:
    """Least fixed point of the propagation rules: the state of every CI the failure reaches."""
    cis = graph.graph["cis"]
    treatment = options.treatment
    state: dict[CiId, int] = dict.fromkeys(starts, _DOWN)
    groups: dict[CiId, GroupTally] = {}
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
                reached = tally.mark(u, su)
            else:
                reached = su
            if reached > state.get(v, 0):
                state[v] = reached
                queue.append(v)
    return state, groups


def _open_group(graph: nx.DiGraph, group: CiId, options: ImpactOptions) -> GroupTally:
    members: set[CiId] = set()
    pre_down: set[CiId] = set()
    for member, kind in failure_predecessors(graph, group):
        treatment = options.treatment(graph.graph["cis"][member].status)
        if kind == MEMBER and treatment is not Treatment.IGNORED:
            members.add(member)
            if treatment is Treatment.ALREADY_DOWN:
                pre_down.add(member)
    rule = graph.graph["cis"][group].redundancy
    return GroupTally(members, rule.required(len(members)), pre_down)


def _explain(
    graph: nx.DiGraph, starts: list[CiId], state: dict[CiId, int], groups: dict[CiId, GroupTally]
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


def redundancy_decision(
    ci_id: CiId, name: str, ci_class: str, rule: Redundancy, tally: GroupTally
) -> RedundancyDecision:
    """How a group's ``rule`` weighed the members this failure reached."""
    return RedundancyDecision(
        ci_id,
        name,
        ci_class,
        rule.describe(),
        len(tally.members),
        len(tally.down),
        len(tally.pre_down),
        len(tally.degraded - tally.down),
        tally.required,
        _STATES[tally.outcome()],
    )


People = tuple[bool, "str | None", "frozenset[str] | None", int]
"""What one affected CI adds to the people count: (down?, its assigned user, a service's user
ids or ``None``, a service's bare number of users when it has no ids)."""


def people_of(ci: CI, down: bool, service: bool) -> People:
    """The :data:`People` an affected CI contributes."""
    user_ids = ci.user_ids if service else None
    return down, ci.assigned_user, user_ids, ci.users if service and user_ids is None else 0


def count_people(found: Iterable[People]) -> PeopleCount:
    """Add up the people of the affected CIs: ids de-duplicated, bare counts summed."""
    ids: set[str] = set()
    down_ids: set[str] = set()
    bare: list[int] = []
    down_bare = 0
    for down, person, user_ids, users in found:
        if person is not None:
            ids.add(person)
            if down:
                down_ids.add(person)
        if user_ids:
            ids |= user_ids
            if down:
                down_ids |= user_ids
        if users:
            bare.append(users)
            if down:
                down_bare += users
    exact = not bare or (len(bare) == 1 and not ids)
    return PeopleCount(len(ids) + sum(bare), len(down_ids) + down_bare, exact)
