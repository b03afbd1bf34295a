"""The compact engine's walks in C: the index's CSR arrays as numpy arrays, searched by scipy.

Pure code (numpy and scipy, no Flask). The propagation rules are those of
:mod:`app.cmdb.impact.reference` (its docstring states them) and so is every answer, item by item
(tests/unit/test_cmdb_compact.py compares both engines on random and real graphs). The least
fixed point of the rules and the breadth-first search that explains it take a few calls of
:func:`scipy.sparse.csgraph.breadth_first_order` (a FIFO queue over CSR rows, in C) on the
whole graph's arrays, and numpy work on what they reach, instead of a Python statement per
link:

1. **Reach.** Every CI a failure touches is reached from the failing CIs over the failure links,
   leaving out links into ignored CIs; and every CI reached ends up down or degraded (a link
   out of a down CI makes its target down, or, over a membership link, weighs a group that is
   then at least degraded; a degraded CI degrades all it reaches).
2. **Down.** The failing CIs' closure over plain links, joined by every group whose redundancy
   rule breaks: each round counts, per group, the members it brought down (``numpy.unique``
   over their membership links, added to a running count), and the search is repeated from
   the groups that broke until no more group breaks (a rule only breaks further as more
   members go down). Reached and not down is degraded.
3. **Explain.** The links that justify a final state make a subgraph whose breadth-first search
   from the failing CIs gives each CI's depth and the CI before it on its path, in the order of
   the walk of :mod:`app.cmdb.impact.reference`. Every link from a reached CI into a degraded one
   justifies it (a down source would have made it down, so it is a membership link or comes
   from a degraded CI); a link into a down CI justifies it only from a down CI, and, for a
   membership link, into a group whose rule broke. So the search runs on the reach links with
   the few links into down CIs that do not justify them sent nowhere, found through the
   reverse CSR.

Links left out of a search point to "nowhere", one more node without links, so that every
matrix keeps the positions of the index's CSR arrays. Several failing CIs are searched from at
once through a virtual source: one more row that lists them. Measured at 100,000 CIs
(bench/cmdb_estate.py, docs/benchmarks.md).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import breadth_first_order

from app.cmdb.graph.vocabulary import MEMBER, ImpactOptions
from app.cmdb.impact.index import CompactGraph
from app.cmdb.impact.reference import GroupTally, PeopleCount, count_people

_DEGRADED, _DOWN = 1, 2
_INDEX = np.int32


class Vectors:
    """One graph's arrays for the searches, and per lifecycle options the links and rules.

    Dense ints as in the index, plus ``n``: nowhere. Built once per graph (:func:`vectors`),
    read-only afterwards; the per-options parts are made on first use (a race only makes the
    same arrays twice).
    """

    def __init__(self, graph: CompactGraph) -> None:
        n = self.n = len(graph)
        edges = len(graph.out_nb)
        self.start = np.append(np.asarray(graph.out_start, dtype=_INDEX), _INDEX(edges))
        self.nb = np.frombuffer(graph.out_nb, dtype=_INDEX) if edges else np.zeros(0, _INDEX)
        self.kind = np.frombuffer(graph.out_kind, dtype=np.uint8)
        self.ones = np.ones(edges + n + 2)  # the weights scipy wants, sliced for every matrix
        in_start = np.asarray(graph.in_start, dtype=_INDEX)
        in_nb = np.frombuffer(graph.in_nb, dtype=_INDEX) if edges else np.zeros(0, _INDEX)
        in_kind = np.frombuffer(graph.in_kind, dtype=np.uint8)
        in_rows = np.repeat(np.arange(n, dtype=np.int64), np.diff(in_start))
        width = max(n, 1)
        self.in_to_out = (
            np.frombuffer(graph.in_to_out, dtype=_INDEX) if edges else np.zeros(0, _INDEX)
        )
        self.in_start, self.in_nb, self.in_kind = in_start, in_nb, in_kind
        # Each group's members, once each (a pair related twice weighs once, as in a set):
        # by group (in rows), and by member (out rows; ``counted`` marks the first entry).
        at = np.flatnonzero(in_kind == MEMBER)
        _, first = np.unique(in_rows[at] * width + in_nb[at], return_index=True)
        at = at[first]  # sorted by group, then member
        self.member_start = np.zeros(n + 2, dtype=_INDEX)
        np.cumsum(np.bincount(in_rows[at], minlength=n), out=self.member_start[1 : n + 1])
        self.member_start[n + 1] = self.member_start[n]
        self.members = in_nb[at]
        self.counted = np.zeros(edges, dtype=bool)
        self.counted[self.in_to_out[at]] = True
        self.has_rule = np.zeros(n + 1, dtype=bool)
        self.has_rule[list(graph.rules)] = True
        self.service = np.zeros(n + 1, dtype=bool)
        self.service[list(graph.services)] = True
        self.has_user = np.zeros(n + 1, dtype=bool)  # an asset with an assigned user
        self.has_user[list(graph.assigned)] = True
        self.users = np.zeros(n + 1, dtype=np.int64)  # a service's bare number of users
        self.has_ids = np.zeros(n + 1, dtype=bool)  # a service that knows its users by id
        for node, users in graph.users.items():
            if graph.user_ids.get(node) is None:
                self.users[node] = users
        self.has_ids[[node for node, ids in graph.user_ids.items() if ids]] = True
        self._graph = graph
        self._options: dict[tuple[Any, ...], Rules] = {}

    def rules(self, options: ImpactOptions) -> Rules:
        """The links and the redundancy numbers under ``options``."""
        key = (options.planned, options.in_maintenance, options.retired)
        found = self._options.get(key)
        if found is None:
            found = self._options[key] = Rules(self, self._graph, options)
        return found


class Rules:
    """What depends on the lifecycle options: the reach links (without those into ignored
    CIs) and the plain ones among them, and by dense int each group's members found, members
    already down, and members required up."""

    def __init__(self, v: Vectors, graph: CompactGraph, options: ImpactOptions) -> None:
        n = v.n
        ignored = np.frombuffer(graph.ignored(options), dtype=np.uint8) != 0
        already = np.frombuffer(graph.already_down(options), dtype=np.uint8) != 0
        self.already = np.append(already, False)
        reach_nb = np.where(ignored[v.nb], _INDEX(n), v.nb) if ignored.any() else v.nb
        self.reach_nb = reach_nb
        self.reach = Links(v, reach_nb)
        self.plain = Links(v, np.where(v.kind == MEMBER, _INDEX(n), reach_nb))
        groups = np.repeat(np.arange(n + 1), np.diff(v.member_start))
        found = ~ignored[v.members]
        self.found = np.bincount(groups[found], minlength=n + 1)
        pre = found & already[v.members]
        self.pre_down = np.bincount(groups[pre], minlength=n + 1)
        self.required = np.zeros(n + 1, dtype=np.int64)
        nodes = list(graph.rules)
        for node, members in zip(nodes, self.found[nodes].tolist(), strict=True):
            self.required[node] = graph.rules[node].required(members)


class Links:
    """Some failure links (the others sent nowhere) as a scipy matrix with one more row, the
    virtual source of a search from several CIs, whose links are written for each search
    (under a lock; a search from one CI never reaches it and needs none)."""

    def __init__(self, v: Vectors, nb: np.ndarray) -> None:
        edges, n = len(nb), v.n
        self.edges, self.n = edges, n
        indices = np.concatenate((nb, np.full(n + 1, n + 1, dtype=_INDEX)))
        indptr = np.append(v.start, _INDEX(len(indices)))
        self.matrix = _matrix(v.ones, indices, indptr)
        self._lock = threading.Lock()

    def search(self, sources: np.ndarray) -> np.ndarray:
        """The CIs reached from ``sources``, in breadth-first order, without nowhere."""
        if len(sources) == 1:
            found = breadth_first_order(self.matrix, int(sources[0]), return_predecessors=False)
        else:
            with self._lock:
                found = self._from_many(sources, False)[1:]
        return found[found != self.n]

    def explain(self, sources: np.ndarray, blocked: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Breadth-first search from ``sources`` with the links at positions ``blocked`` sent
        nowhere for the while: the CIs reached in order, without nowhere, and each one's
        parent (``n + 1`` for the sources)."""
        indices = self.matrix.indices
        with self._lock:
            kept = indices[blocked]
            indices[blocked] = self.n
            try:
                if len(sources) == 1:
                    order, parent = breadth_first_order(
                        self.matrix, int(sources[0]), return_predecessors=True
                    )
                else:
                    order, parent = self._from_many(sources, True)
                    order = order[1:]
            finally:
                indices[blocked] = kept
        return order[order != self.n], parent

    def _from_many(self, sources: np.ndarray, parents: bool) -> Any:
        """Search from the virtual source listing ``sources`` (the lock held)."""
        matrix, edges = self.matrix, self.edges
        matrix.indices[edges : edges + len(sources)] = sources
        matrix.indptr[-1] = edges + len(sources)
        return breadth_first_order(matrix, self.n + 1, return_predecessors=parents)


def _matrix(ones: np.ndarray, nb: np.ndarray, start: np.ndarray) -> csr_matrix:
    size = len(start) - 1
    return csr_matrix((ones[: len(nb)], nb, start), shape=(size, size), copy=False)


_LOCK = threading.Lock()


def vectors(graph: CompactGraph) -> Vectors:
    """The graph's :class:`Vectors`, made on first use and kept with it."""
    found = graph.vectors
    if found is None:
        with _LOCK:
            found = graph.vectors
            if found is None:
                found = graph.vectors = Vectors(graph)
    return found


def _rows(start: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The positions of the entries of CSR ``rows`` (in order), and each one's row."""
    begin = start[rows]
    lengths = start[rows + 1] - begin
    ends = np.cumsum(lengths, dtype=_INDEX)
    at = np.repeat(begin - ends + lengths, lengths)
    at += np.arange(len(at), dtype=_INDEX)
    return at, np.repeat(rows, lengths)


def walks(
    graph: CompactGraph, starts: list[int], options: ImpactOptions
) -> tuple[bytearray, GroupTallies, Search, list[int], PeopleCount]:
    """The final state of every CI (0: not reached, 1 degraded, 2 down; ignored CIs keep
    :data:`~app.cmdb.impact.index.IGNORED`), the redundancy groups weighed, the explaining search,
    the affected business services in its order, and the people hit."""
    state = bytearray(graph.ignored(options))
    if not starts:
        empty = np.zeros(0, dtype=_INDEX)
        search = Search(empty, empty, 0)
        return state, GroupTallies(graph, options, empty, state), search, [], count_people(())
    v = vectors(graph)
    rules = v.rules(options)
    n = v.n
    first = np.asarray(starts, dtype=_INDEX)

    # Down: plain links, and groups whose rule breaks, until no more break. Only down members
    # count against a rule (degraded ones are up), so the reach is not needed yet.
    # Each round weighs only the CIs it brought down: every CI falls once, and counts once.
    down = np.zeros(n + 1, dtype=bool)
    is_broken = np.zeros(n + 1, dtype=bool)
    lost = np.zeros(n + 1, dtype=_INDEX)  # by group: its members down in this failure
    found = []
    more = rules.plain.search(first)
    while len(more):
        down[more] = True
        found.append(more)
        at, member = _rows(v.start, more)
        group = rules.reach_nb[at]  # ignored groups weigh nothing: their links go nowhere
        # A member counts once per group, and not when it was down before the failure.
        weighs = v.counted[at] & (group != n) & ~rules.already[member]
        groups, newly = np.unique(group[weighs], return_counts=True)
        lost[groups] += newly
        up = rules.found[groups] - rules.pre_down[groups] - lost[groups]
        breaks = groups[(up < rules.required[groups]) & ~is_broken[groups]]
        is_broken[breaks] = True
        roots = breaks[~down[breaks]]  # a search from them reaches what they break
        more = rules.plain.search(roots) if len(roots) else roots
        more = more[~down[more]]
    fallen = np.concatenate(found) if found else more

    # Explain: the reach links, less those into down CIs that do not justify them, searched
    # from the failing CIs: what it reaches is every CI touched, each from the CI that
    # explains it.
    at, target = _rows(v.in_start, fallen)
    justifies = down[v.in_nb[at]] & ((v.in_kind[at] != MEMBER) | is_broken[target])
    blocked = v.in_to_out[at[~justifies]]
    reached, parent = rules.reach.explain(first, blocked)
    search = Search(reached, parent, len(first))
    states = np.frombuffer(state, dtype=np.uint8)
    states[reached] = _DEGRADED
    states[fallen] = _DOWN

    # The groups weighed: reached groups with a reached member.
    inside = np.zeros(n + 1, dtype=bool)
    inside[reached] = True
    groups = reached[v.has_rule[reached]]
    at, _ = _rows(v.member_start, groups)
    lengths = v.member_start[groups + 1] - v.member_start[groups]
    member_of = np.repeat(np.arange(len(groups)), lengths)
    members_in = np.bincount(member_of[inside[v.members[at]]], minlength=len(groups))
    weighed = np.sort(groups[members_in > 0])

    hit = reached[v.service[reached]]
    tallies = GroupTallies(graph, options, weighed, state)
    return state, tallies, search, hit.tolist(), _people(graph, v, state, reached, hit)


def _people(
    graph: CompactGraph, v: Vectors, state: bytearray, reached: np.ndarray, hit: np.ndarray
) -> PeopleCount:
    """The people hit, as :func:`~app.cmdb.impact.reference.count_people` adds them: assigned
    users of affected (``reached``) CIs and users of affected services known by id, de-duplicated,
    plus the bare numbers of users of the services that only know how many they have."""
    states = np.frombuffer(state, dtype=np.uint8)
    assigned = reached[v.has_user[reached]]
    names = graph.assigned
    ids = set(map(names.__getitem__, assigned.tolist()))
    down_ids = set(map(names.__getitem__, assigned[states[assigned] == _DOWN].tolist()))
    if graph.user_ids:  # services of one users group share one set: union each set once
        known = hit[v.has_ids[hit]]
        sets = {id(u): u for u in map(graph.user_ids.__getitem__, known.tolist())}
        fallen = known[states[known] == _DOWN].tolist()
        down_sets = {id(u): u for u in map(graph.user_ids.__getitem__, fallen)}
        ids = ids.union(*sets.values())
        down_ids = down_ids.union(*down_sets.values())
    bare = v.users[hit]
    counted = np.count_nonzero(bare)
    everyone = int(bare.sum())
    cut_off = int(bare[states[hit] == _DOWN].sum())
    exact = not counted or (counted == 1 and not ids)
    return PeopleCount(len(ids) + everyone, len(down_ids) + cut_off, exact)


class Search:
    """An explaining breadth-first search: the affected CIs in order (:attr:`ids`, dense
    ints), and, made when first read, as lists: the same (:attr:`order`), each one's previous
    CI on its path (:attr:`via`, ``None`` for a failing CI) and each one's depth."""

    __slots__ = ("ids", "size", "_parent", "_sources", "_lists")

    def __init__(self, ids: np.ndarray, parent: np.ndarray, sources: int) -> None:
        self.ids, self._parent, self._sources = ids, parent, sources
        self.size = len(ids)
        self._lists: dict[str, list[Any]] = {}

    @property
    def order(self) -> list[int]:
        found = self._lists.get("order")
        if found is None:
            found = self._lists["order"] = self.ids.tolist()
        return found

    @property
    def via(self) -> list[int | None]:
        found = self._lists.get("via")
        if found is None:
            found = [None] * self._sources
            found += self._parent[self.ids[self._sources :]].tolist()
            self._lists["via"] = found
        return found

    @property
    def depth(self) -> list[int]:
        """A level of a FIFO search is the run of CIs whose parents are the previous level,
        and the parents' positions never decrease along the order."""
        found = self._lists.get("depth")
        if found is None:
            ids, sources = self.ids, self._sources
            position = np.empty(len(self._parent), dtype=np.int64)
            position[ids] = np.arange(len(ids))
            parents = position[self._parent[ids[sources:]]]
            ends = [sources]
            while ends[-1] < len(ids):
                ends.append(sources + int(np.searchsorted(parents, ends[-1], side="left")))
            counts = np.diff(ends, prepend=0)
            found = self._lists["depth"] = np.repeat(np.arange(len(counts)), counts).tolist()
        return found


def open_group(graph: CompactGraph, group: int, options: ImpactOptions) -> GroupTally:
    """A group's tally before any member is marked: the members found (ignored ones left out),
    how many must be up, and those already down (by the lifecycle options)."""
    members, special = graph.members(group)
    if special:  # some members are not in service: leave out ignored ones, count down ones
        skip, down = graph.ignored(options), graph.already_down(options)
        left_out = {m for m in special if skip[m]}
        found = set(members) - left_out
        pre_down = {m for m in special if down[m] and m not in left_out}
    else:
        found, pre_down = set(members), set()
    return GroupTally(found, graph.rules[group].required(len(found)), pre_down)


class GroupTallies(Mapping[int, GroupTally]):
    """The redundancy groups an answer weighed, by dense int; each tally (members down and
    degraded, the rule's numbers) made when first read, from the final states."""

    __slots__ = ("_graph", "_options", "_groups", "_state", "_made")

    def __init__(
        self, graph: CompactGraph, options: ImpactOptions, groups: np.ndarray, state: bytearray
    ) -> None:
        self._graph, self._options, self._state = graph, options, state
        self._groups = groups  # sorted
        self._made: dict[int, GroupTally] = {}

    def __getitem__(self, group: int) -> GroupTally:
        made = self._made.get(group)
        if made is None:
            if group not in self:
                raise KeyError(group)
            made = self._made[group] = self._tally(group)
        return made

    def _tally(self, group: int) -> GroupTally:
        tally = open_group(self._graph, group, self._options)
        state = self._state
        for member in dict.fromkeys(self._graph.members(group)[0]):
            if state[member] in (_DOWN, _DEGRADED):
                tally.mark(member, state[member])
        return tally

    def __contains__(self, group: object) -> bool:
        if not isinstance(group, int) or not len(self._groups):
            return False
        at = int(np.searchsorted(self._groups, group))
        return at < len(self._groups) and self._groups[at] == group

    def __iter__(self) -> Iterator[int]:
        return iter(self._groups.tolist())

    def in_order(self, ids: np.ndarray) -> list[int]:
        """The groups among ``ids``, in their order."""
        mask = np.zeros(len(self._state) + 1, dtype=bool)
        mask[self._groups] = True
        return ids[mask[ids]].tolist()

    def __len__(self) -> int:
        return len(self._groups)
