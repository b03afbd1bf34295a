"""Answers of the compact engine: :class:`~app.cmdb.impact.ImpactResult` from its arrays.

Pure code. The people count is built at once; the affected CIs, the services with their paths
and the redundancy decisions are sequences made when read (:class:`AffectedCIs`,
:class:`~app.cmdb.compact_lazy.ServiceImpacts`, :class:`~app.cmdb.compact_lazy.Decisions`):
an array or a rack failing reaches a tenth of the CMDB and a thousand services, and a page
reads counts and a few rows of them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import partial
from typing import Any

from app.cmdb.compact import IGNORED, CompactGraph
from app.cmdb.compact_lazy import Decisions, Explanations, Lazy, ServiceImpacts
from app.cmdb.graph import CiId
from app.cmdb.impact import (
    AffectedCI,
    GroupTally,
    ImpactResult,
    People,
    State,
    count_people,
)

_DEGRADED, _DOWN = 1, 2
_STATE_OF = (None, State.DEGRADED, State.DOWN)


class AffectedCIs(Lazy[AffectedCI]):
    """The affected CIs of an answer, in order, each made on first read.

    Equal to a tuple of the same :class:`~app.cmdb.impact.AffectedCI` (what the networkx engine
    returns). ``find`` looks one up by CI id.
    """

    __slots__ = ("_graph", "_order", "_state", "_via", "_depth", "_positions")

    def __init__(
        self,
        graph: CompactGraph,
        order: list[int],
        state: bytearray,
        via: list[int | None],
        depth: list[int],
    ) -> None:
        super().__init__(len(order))
        self._graph, self._order, self._state, self._via, self._depth = (
            graph, order, state, via, depth
        )  # fmt: skip
        self._positions: dict[int, int] | None = None

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
    hit = list(filter(graph.services.__contains__, order))
    affected = AffectedCIs(graph, order, state, via, depth)
    explained = Explanations(graph, order, via, groups)
    return ImpactResult(
        failing=tuple(graph.ids[v] for v in starts),
        ignored=ignored,
        affected=affected,
        services=ServiceImpacts(explained, hit, state),
        people=count_people(_people(graph, state, order, hit)),
        decisions=Decisions(explained),
        _by_id=_ById(affected),
    )


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
