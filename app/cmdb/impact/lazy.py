"""Lazy parts of the compact engine's answers: sequences made when read.

Pure code. :class:`Lazy` is a tuple whose items are made on read; :class:`ServiceImpacts` and
:class:`Decisions` are the services (with their explaining paths) and the redundancy decisions
of an answer, over one :class:`Explanations` that builds each path and decision once, whoever
asks first. Equal to the tuples the networkx engine returns (:mod:`app.cmdb.impact.reference`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, TypeVar, overload

from app.cmdb.graph.vocabulary import CiId, Path
from app.cmdb.impact.index import CompactGraph
from app.cmdb.impact.reference import (
    RedundancyDecision,
    ServiceBrief,
    ServiceImpact,
    State,
    redundancy_decision,
)

if TYPE_CHECKING:
    from app.cmdb.impact.vector import GroupTallies, Search

T = TypeVar("T")
_STATE_OF = (None, State.DEGRADED, State.DOWN)

Explained = tuple[
    tuple[CiId, ...], tuple[str, ...], tuple[str, ...], tuple[RedundancyDecision, ...]
]
"""A path's CI ids, names and relations, and the decisions of the groups it enters through a
member."""


class Lazy(Sequence[T]):
    """A tuple whose items are made on read (:meth:`_make`), all of them by :meth:`all`.

    Equal to (and hashed as) the tuple of its items: what the networkx engine returns.
    """

    __slots__ = ("_size", "_items")

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: tuple[T, ...] | None = None

    def _make(self, position: int) -> T:
        raise NotImplementedError

    def __len__(self) -> int:
        return self._size

    @overload
    def __getitem__(self, index: int) -> T: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[T, ...]: ...
    def __getitem__(self, index: int | slice) -> T | tuple[T, ...]:
        if self._items is not None:
            return self._items[index]
        if isinstance(index, slice):
            return tuple(map(self._make, range(*index.indices(self._size))))
        if not -self._size <= index < self._size:
            raise IndexError(f"{type(self).__name__} index out of range")
        return self._make(index % self._size)

    def __iter__(self) -> Iterator[T]:
        return iter(self.all())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, tuple | Lazy):
            return self.all() == tuple(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.all())

    def __repr__(self) -> str:
        return f"<{self._size} {type(self).__name__}>"

    def all(self) -> tuple[T, ...]:
        """Every item (made once, then kept)."""
        if self._items is None:
            self._items = tuple(map(self._make, range(self._size)))
        return self._items


class Explanations:
    """The paths and redundancy decisions of one answer, each made once, when first asked."""

    __slots__ = (
        "graph", "groups", "_search", "_by_node", "_paths", "_decisions", "_groups"
    )  # fmt: skip

    def __init__(self, graph: CompactGraph, search: Search, groups: GroupTallies) -> None:
        self.graph, self.groups, self._search = graph, groups, search
        self._by_node: dict[int, int | None] | None = None
        self._paths: dict[int, Explained] = {}
        self._decisions: dict[int, RedundancyDecision] = {}
        self._groups: list[int] | None = None

    def decision(self, group: int) -> RedundancyDecision:
        """How ``group``'s redundancy rule weighed the members this failure reached."""
        return self._decisions.get(group) or self._decide(group)

    def _decide(self, group: int) -> RedundancyDecision:
        graph = self.graph
        found = self._decisions[group] = redundancy_decision(
            graph.ids[group],
            graph.names[group],
            graph.classes[group],
            graph.rules[group],
            self.groups[group],
        )
        return found

    def groups_in_order(self) -> list[int]:
        """The groups weighed, in the order of the affected CIs (every one is affected)."""
        if self._groups is None:
            self._groups = self.groups.in_order(self._search.ids)
        return self._groups

    def decisions(self) -> tuple[RedundancyDecision, ...]:
        """Every decision, in the order of the affected CIs (made in one pass)."""
        order, known = self.groups_in_order(), self._decisions
        for group in order:
            if group not in known:
                self._decide(group)
        return tuple(map(known.__getitem__, order))

    def path(self, target: int) -> Explained:
        """The path of an affected CI; paths share their beginnings, so each is built once."""
        known = self._paths
        if target in known:
            return known[target]
        if self._by_node is None:
            self._by_node = dict(zip(self._search.order, self._search.via, strict=True))
        via, groups, decided = self._by_node, self.groups, self._decisions
        ids, names, hop = self.graph.ids, self.graph.names, self.graph.hop_label
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
                    c_decisions += (decided.get(y) or self._decide(y),)
                known[y] = (
                    (*c_ids, ids[y]),
                    (*c_names, names[y]),
                    (*c_relations, hop(x, y)),
                    c_decisions,
                )
            x = y
        return known[target]


class ServiceImpacts(Lazy[ServiceImpact]):
    """The affected business services of an answer, in order, each with its path."""

    __slots__ = ("_explained", "_hit", "_state")

    def __init__(self, explained: Explanations, hit: list[int], state: bytearray) -> None:
        super().__init__(len(hit))
        self._explained, self._hit, self._state = explained, hit, state

    def brief(self) -> tuple[ServiceBrief, ...]:
        """Every service without its path (see :meth:`ImpactResult.brief_services`)."""
        graph, state = self._explained.graph, self._state
        ids, names, users, user_ids = graph.ids, graph.names, graph.users, graph.user_ids
        return tuple(
            ServiceBrief(
                ids[v],
                names[v],
                _STATE_OF[state[v]],
                len(user_ids[v]) if v in user_ids else users.get(v, 0),
            )
            for v in self._hit
        )

    def _make(self, position: int) -> ServiceImpact:
        v = self._hit[position]
        graph = self._explained.graph
        path_ids, path_names, relations, on_path = self._explained.path(v)
        user_ids = graph.user_ids.get(v)
        users = len(user_ids) if user_ids is not None else graph.users.get(v, 0)
        return ServiceImpact(
            graph.ids[v],
            graph.names[v],
            _STATE_OF[self._state[v]],
            len(path_ids) - 1,
            users,
            Path(path_ids, path_names, relations),
            on_path,
        )


class Decisions(Lazy[RedundancyDecision]):
    """The redundancy decisions of an answer, in the order of the affected CIs."""

    __slots__ = ("_explained",)

    def __init__(self, explained: Explanations) -> None:
        super().__init__(len(explained.groups))
        self._explained = explained

    def _make(self, position: int) -> RedundancyDecision:
        explained = self._explained
        return explained.decision(explained.groups_in_order()[position])

    def all(self) -> tuple[RedundancyDecision, ...]:
        if self._items is None:
            self._items = self._explained.decisions()
        return self._items
