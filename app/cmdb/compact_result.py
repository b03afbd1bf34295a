"""Answers of the compact engine: :class:`~app.cmdb.impact.ImpactResult` from its arrays.

Pure code. The services, their paths and redundancy decisions, and the people count are built
at once; the list of affected CIs is built when it is read (:class:`AffectedCIs`), because an
estate-wide failure reaches most of the CMDB and a page reads a count and a few rows of it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from functools import partial
from typing import Any, overload

from app.cmdb.compact import IGNORED, CompactGraph
from app.cmdb.graph import CiId, Path
from app.cmdb.impact import (
    AffectedCI,
    GroupTally,
    ImpactResult,
    People,
    RedundancyDecision,
    ServiceImpact,
    State,
    count_people,
    redundancy_decision,
)

_DEGRADED, _DOWN = 1, 2
_STATE_OF = (None, State.DEGRADED, State.DOWN)


class AffectedCIs(Sequence[AffectedCI]):
    """The affected CIs of an answer, in order, each made on first read.

    Equal to a tuple of the same :class:`~app.cmdb.impact.AffectedCI` (what the networkx engine
    returns). ``find`` looks one up by CI id.
    """

    __slots__ = ("_graph", "_order", "_state", "_via", "_depth", "_items", "_positions")

    def __init__(
        self,
        graph: CompactGraph,
        order: list[int],
        state: bytearray,
        via: list[int | None],
        depth: list[int],
    ) -> None:
        self._graph, self._order, self._state, self._via, self._depth = (
            graph, order, state, via, depth
        )  # fmt: skip
        self._items: tuple[AffectedCI, ...] | None = None
        self._positions: dict[int, int] | None = None

    def __len__(self) -> int:
        return len(self._order)

    @overload
    def __getitem__(self, index: int) -> AffectedCI: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[AffectedCI, ...]: ...
    def __getitem__(self, index: int | slice) -> AffectedCI | tuple[AffectedCI, ...]:
        if self._items is not None:
            return self._items[index]
        if isinstance(index, slice):
            return tuple(map(self._make, range(*index.indices(len(self._order)))))
        if not -len(self._order) <= index < len(self._order):
            raise IndexError("affected CI index out of range")
        return self._make(index % len(self._order))

    def __iter__(self) -> Iterator[AffectedCI]:
        return iter(self.all())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, tuple | AffectedCIs):
            return self.all() == tuple(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.all())

    def __repr__(self) -> str:
        return f"<{len(self._order)} affected CIs>"

    def all(self) -> tuple[AffectedCI, ...]:
        """Every affected CI (made once, then kept)."""
        if self._items is None:
            ids, names, classes = self._graph.ids, self._graph.names, self._graph.classes
            order = self._order
            self._items = tuple(
                map(
                    partial(tuple.__new__, AffectedCI),
                    zip(
                        map(ids.__getitem__, order),
                        map(names.__getitem__, order),
                        map(classes.__getitem__, order),
                        map(_STATE_OF.__getitem__, map(self._state.__getitem__, order)),
                        self._depth,
                        [None if p is None else ids[p] for p in self._via],
                        strict=True,
                    ),
                )
            )
        return self._items

    def find(self, ci_id: Any) -> AffectedCI | None:
        """The affected CI ``ci_id``, or ``None``."""
        if self._positions is None:
            self._positions = dict(zip(self._order, range(len(self._order)), strict=True))
        try:
            position = self._positions.get(self._graph.index.get(ci_id, -1))
        except TypeError:  # unhashable: not a CI id
            return None
        return None if position is None else self[position]

    def _make(self, position: int) -> AffectedCI:
        graph, v, previous = self._graph, self._order[position], self._via[position]
        return AffectedCI(
            graph.ids[v],
            graph.names[v],
            graph.classes[v],
            _STATE_OF[self._state[v]],
            self._depth[position],
            None if previous is None else graph.ids[previous],
        )


class _ById(Mapping[CiId, AffectedCI]):
    """The affected CIs by id, for :meth:`ImpactResult.get` and ``chain``."""

    __slots__ = ("_affected",)

    def __init__(self, affected: AffectedCIs) -> None:
        self._affected = affected

    def __getitem__(self, ci_id: CiId) -> AffectedCI:
        found = self._affected.find(ci_id)
        if found is None:
            raise KeyError(ci_id)
        return found

    def __iter__(self) -> Iterator[CiId]:
        return (a.ci_id for a in self._affected)

    def __len__(self) -> int:
        return len(self._affected)


def answer(
    graph: CompactGraph,
    starts: list[int],
    ignored: tuple[CiId, ...],
    state: bytearray,
    groups: dict[int, GroupTally],
    search: tuple[list[int], list[int | None], list[int]],
) -> ImpactResult:
    """The :class:`ImpactResult` of a propagation (``state``, ``groups``) and its explaining
    search (order, previous CI, depth)."""
    order, via, depth = search
    ids, names, classes = graph.ids, graph.names, graph.classes
    decisions = {
        g: redundancy_decision(ids[g], names[g], classes[g], graph.rules[g], tally)
        for g, tally in groups.items()
    }
    hit = list(filter(graph.services.__contains__, order))
    services = []
    if hit:
        paths = _paths(graph, dict(zip(order, via, strict=True)), groups, decisions, hit)
        for v, (path_ids, path_names, relations, on_path) in zip(hit, paths, strict=True):
            user_ids = graph.user_ids.get(v)
            users = len(user_ids) if user_ids is not None else graph.users.get(v, 0)
            path = Path(path_ids, path_names, relations)
            services.append(
                ServiceImpact(
                    ids[v], names[v], _STATE_OF[state[v]], len(path_ids) - 1, users, path, on_path
                )
            )
    affected = AffectedCIs(graph, order, state, via, depth)
    return ImpactResult(
        failing=tuple(ids[v] for v in starts),
        ignored=ignored,
        affected=affected,
        services=tuple(services),
        people=count_people(_people(graph, state, order, hit)),
        decisions=tuple(decisions[g] for g in order if g in decisions),
        _by_id=_ById(affected),
    )


Explained = tuple[
    tuple[CiId, ...], tuple[str, ...], tuple[str, ...], tuple[RedundancyDecision, ...]
]


def _paths(
    graph: CompactGraph,
    via: dict[int, int | None],
    groups: dict[int, GroupTally],
    decisions: dict[int, RedundancyDecision],
    targets: list[int],
) -> list[Explained]:
    """For each target, its path (ids, names, relations) and the decisions of the groups the
    path enters through a member; paths share their beginnings, so each is built once."""
    ids, names, hop = graph.ids, graph.names, graph.hop_label
    known: dict[int, Explained] = {}
    for target in targets:
        missing = []
        x: int | None = target
        while x is not None and x not in known:
            missing.append(x)
            x = via[x]
        for y in reversed(missing):
            if x is None:
                known[y] = ((ids[y],), (names[y],), (), ())
            else:
                c_ids, c_names, c_relations, c_decisions = known[x]
                tally = groups.get(y)
                if tally is not None and x in tally.members:
                    c_decisions += (decisions[y],)
                known[y] = (
                    (*c_ids, ids[y]),
                    (*c_names, names[y]),
                    (*c_relations, hop(x, y)),
                    c_decisions,
                )
            x = y
    return [known[t] for t in targets]


def _people(
    graph: CompactGraph, state: bytearray, order: list[int], services: list[int]
) -> list[People]:
    """The people contributions of the affected CIs: assigned users, then services' users."""
    assigned = graph.assigned
    if len(assigned) < len(order):
        hit = [v for v in assigned if 0 < state[v] < IGNORED]
    else:
        hit = [v for v in order if v in assigned]
    found: list[People] = [(state[v] == _DOWN, assigned[v], None, 0) for v in hit]
    user_ids, users = graph.user_ids, graph.users
    for v in services:
        ids = user_ids.get(v)
        found.append((state[v] == _DOWN, None, ids, users.get(v, 0) if ids is None else 0))
    return found
