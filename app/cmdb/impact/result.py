"""Answers of the compact engine: :class:`~app.cmdb.impact.reference.ImpactResult` from its arrays.

Pure code. The people count comes with the walks (:mod:`app.cmdb.impact.vector`); the
affected CIs, the services with their paths and the redundancy decisions are sequences made
when read (:class:`AffectedCIs`,
:class:`~app.cmdb.impact.lazy.ServiceImpacts`, :class:`~app.cmdb.impact.lazy.Decisions`):
an array or a rack failing reaches a tenth of the CMDB and a thousand services, and a page
reads counts and a few rows of them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import partial
from typing import TYPE_CHECKING, Any

from app.cmdb.graph.vocabulary import CiId
from app.cmdb.impact.index import CompactGraph
from app.cmdb.impact.lazy import Decisions, Explanations, Lazy, ServiceImpacts
from app.cmdb.impact.reference import AffectedCI, ImpactResult, PeopleCount, State

if TYPE_CHECKING:
    from app.cmdb.impact.vector import GroupTallies, Search

_STATE_OF = (None, State.DEGRADED, State.DOWN)


class AffectedCIs(Lazy[AffectedCI]):
    """The affected CIs of an answer, in order, each made on first read.

    Equal to a tuple of the same :class:`~app.cmdb.impact.reference.AffectedCI` (what the networkx
    engine returns). ``find`` looks one up by CI id.
    """

    __slots__ = ("_graph", "_search", "_state", "_positions")

    def __init__(self, graph: CompactGraph, search: Search, state: bytearray) -> None:
        super().__init__(search.size)
        self._graph, self._search, self._state = graph, search, state
        self._positions: dict[int, int] | None = None

    def __repr__(self) -> str:
        return f"<{self._search.size} affected CIs>"

    def all(self) -> tuple[AffectedCI, ...]:
        """Every affected CI (made once, then kept)."""
        if self._items is None:
            ids, names, classes = self._graph.ids, self._graph.names, self._graph.classes
            order = self._search.order
            self._items = tuple(
                map(
                    partial(tuple.__new__, AffectedCI),
                    zip(
                        map(ids.__getitem__, order),
                        map(names.__getitem__, order),
                        map(classes.__getitem__, order),
                        map(_STATE_OF.__getitem__, map(self._state.__getitem__, order)),
                        self._search.depth,
                        [None if p is None else ids[p] for p in self._search.via],
                        strict=True,
                    ),
                )
            )
        return self._items

    def find(self, ci_id: Any) -> AffectedCI | None:
        """The affected CI ``ci_id``, or ``None``."""
        if self._positions is None:
            order = self._search.order
            self._positions = dict(zip(order, range(len(order)), strict=True))
        try:
            position = self._positions.get(self._graph.index.get(ci_id, -1))
        except TypeError:  # unhashable: not a CI id
            return None
        return None if position is None else self[position]

    def _make(self, position: int) -> AffectedCI:
        graph, search = self._graph, self._search
        v, previous = search.order[position], search.via[position]
        return AffectedCI(
            graph.ids[v],
            graph.names[v],
            graph.classes[v],
            _STATE_OF[self._state[v]],
            search.depth[position],
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
    groups: GroupTallies,
    search: Search,
    hit: list[int],
    people: PeopleCount,
) -> ImpactResult:
    """The :class:`ImpactResult` of a propagation (``state``, ``groups``), its explaining
    search, the business services in its order (``hit``) and the people count."""
    affected = AffectedCIs(graph, search, state)
    explained = Explanations(graph, search, groups)
    return ImpactResult(
        failing=tuple(graph.ids[v] for v in starts),
        ignored=ignored,
        affected=affected,
        services=ServiceImpacts(explained, hit, state),
        people=people,
        decisions=Decisions(explained),
        _by_id=_ById(affected),
    )
