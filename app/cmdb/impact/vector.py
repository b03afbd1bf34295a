"""The compact engine's walks in numpy: breadth-first searches over the index's rows, a level
at a time.

Pure code (numpy, no Flask). The propagation rules are those of :mod:`app.cmdb.impact.reference`
(its docstring states them) and so is every answer, item by item
(tests/unit/test_cmdb_compact.py compares both engines on random and real graphs). The least
fixed point of the rules and the breadth-first search that explains it take a few searches
(:func:`search`: each level of a FIFO search gathered from its parents' rows at once) and numpy
work on what they reach, instead of a Python statement per link:

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
   membership link, into a group whose rule broke. So the search runs on the reach links less
   the few links into down CIs that do not justify them, found through the reverse rows.

The searches read the rows through their windows (:mod:`app.cmdb.impact.rows`), so a patched
index answers without any array of the size of the graph being made again; what a search
keeps per question is a mark per CI. Measured at 100,000 and 1,000,000 CIs
(bench/cmdb_estate.py, bench/cmdb_incremental.py, docs/benchmarks.md).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np
import numpy.ma  # noqa: F401  (np.unique imports it on its first call: 0.1 s in a patch)

from app.cmdb.graph.vocabulary import MEMBER, ImpactOptions
from app.cmdb.impact.index import CompactGraph
from app.cmdb.impact.reference import GroupTally, PeopleCount, count_people
from app.cmdb.impact.rows import Rows, among

_DEGRADED, _DOWN = 1, 2
_RULE, _SERVICE, _USER, _IDS = 1, 2, 4, 8


class Vectors:
    """What the searches read per CI beside the rows: one byte of flags each (a redundancy
    rule, a business service, an assigned user, a service knowing its users by id), and the
    groups' redundancy numbers as questions count them (:class:`GroupNumbers`). Made once
    per graph (:func:`vectors`), or by a patch from the previous graph's (:meth:`patched`):
    the numbers of the groups no patch touched since the load are shared by every version."""

    __slots__ = ("flags", "_numbers", "_shared", "dirty")

    def __init__(
        self,
        flags: np.ndarray,
        shared: dict[tuple[Any, ...], SharedNumbers] | None = None,
        dirty: np.ndarray = np.zeros(0, dtype=np.int64),
    ) -> None:
        self.flags = flags
        self._numbers: dict[tuple[Any, ...], GroupNumbers] = {}
        self._shared = {} if shared is None else shared
        self.dirty = dirty
        """The CIs whose numbers as a group may differ from the loaded graph's (sorted)."""

    def numbers(self, graph: CompactGraph, options: ImpactOptions) -> GroupNumbers:
        """The redundancy numbers of the groups under ``options``, made as questions weigh
        them (a race only counts a group twice)."""
        key = (options.planned, options.in_maintenance, options.retired)
        found = self._numbers.get(key)
        if found is None:
            shared = self._shared.get(key)
            if shared is None:
                shared = self._shared.setdefault(key, SharedNumbers(len(graph)))
            found = self._numbers.setdefault(key, GroupNumbers(graph, options, shared, self.dirty))
        return found

    @classmethod
    def of(cls, graph: CompactGraph) -> Vectors:
        flags = np.zeros(len(graph), dtype=np.uint8)
        for nodes, bit in (
            (list(graph.rules), _RULE),
            (list(graph.services), _SERVICE),
            (list(graph.assigned), _USER),
            ([node for node, ids in graph.user_ids.items() if ids], _IDS),
        ):
            flags[nodes] |= bit
        return cls(flags)

    def patched(self, graph: CompactGraph, nodes: list[int], touched: np.ndarray) -> Vectors:
        """These flags for ``graph``, a patch of their graph in which the CIs ``nodes`` (and
        only they) changed or were added and the groups ``touched`` (sorted) may have other
        members or rules."""
        flags = np.zeros(len(graph), dtype=np.uint8)
        flags[: len(self.flags)] = self.flags
        for node in nodes:
            user_ids = graph.user_ids.get(node)
            flags[node] = (
                (_RULE if node in graph.rules else 0)
                | (_SERVICE if node in graph.services else 0)
                | (_USER if node in graph.assigned else 0)
                | (_IDS if user_ids else 0)
            )
        return Vectors(flags, self._shared, np.union1d(self.dirty, touched))

    def has(self, nodes: np.ndarray, bit: int) -> np.ndarray:
        return (self.flags[nodes] & bit) != 0


_LOCK = threading.Lock()


def vectors(graph: CompactGraph) -> Vectors:
    """The graph's :class:`Vectors`, made on first use and kept with it."""
    found = graph.vectors
    if found is None:
        with _LOCK:
            found = graph.vectors
            if found is None:
                found = graph.vectors = Vectors.of(graph)
    return found


def search(
    rows: Rows,
    sources: np.ndarray,
    n: int,
    skip: np.ndarray | None = None,
    plain: bool = False,
    blocked: np.ndarray | None = None,
    parents: bool = True,
) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """A FIFO breadth-first search over ``rows`` from ``sources`` (in order), as if from one
    virtual source listing them: the CIs reached in order, each one's parent (-1 for the
    sources; nothing unless ``parents``), and the size of each level. Links into CIs marked in
    ``skip`` (a bool per CI), membership links when ``plain``, and the links at the store
    positions ``blocked`` (sorted) are left out.

    A level is gathered from its parents' rows at once; a CI found several times in it keeps
    its first link, as a queue would. Nothing of the graph's size is made but the marks of the
    CIs reached (a question at a million CIs would otherwise spend more on memory than on
    the search)."""
    nb = rows.column("nb")
    kind = rows.column("kind") if plain else None
    closed = np.zeros(n, dtype=bool) if skip is None else skip.copy()
    sources = np.asarray(sources, dtype=np.int64)
    closed[sources] = True
    levels, via = [sources], [np.full(len(sources), -1, dtype=np.int64)]
    frontier = sources
    while len(frontier):
        b, e = rows.windows(frontier)
        lengths = e - b
        ends = np.cumsum(lengths)
        if not len(ends) or not ends[-1]:
            break
        at = np.repeat(b - ends + lengths, lengths)
        at += np.arange(ends[-1])
        found = nb[at]
        keep = ~closed[found]
        if kind is not None:
            keep &= kind[at] != MEMBER
        if blocked is not None and len(blocked):
            keep &= ~among(at, blocked)
        kept = np.flatnonzero(keep)
        found = found[kept]
        if len(found) > 1:  # the first link to each CI of the level, in the level's order
            earliest = np.sort(np.unique(found, return_index=True)[1])
            found, kept = found[earliest], kept[earliest]
        if not len(found):
            break
        closed[found] = True
        found = found.astype(np.int64)
        levels.append(found)
        if parents:
            via.append(frontier[np.searchsorted(ends, kept, side="right")])
        frontier = found
    order = np.concatenate(levels)
    return order, (np.concatenate(via) if parents else order), [len(x) for x in levels]


class SharedNumbers:
    """Groups' numbers under some options as in the loaded graph, by dense int (the CIs it
    had): what every version of the graph reads for the groups no patch touched, written as
    questions count them (every version writes the same numbers)."""

    __slots__ = ("known", "found", "pre_down", "required")

    def __init__(self, n: int) -> None:
        self.known = np.zeros(n, dtype=bool)
        self.found = np.zeros(n, dtype=np.int64)
        self.pre_down = np.zeros(n, dtype=np.int64)
        self.required = np.zeros(n, dtype=np.int64)


class GroupNumbers:
    """For the groups weighed so far under some options, by dense int: the members found
    (ignored ones left out), those of them already down, and the members the rule requires
    up. Those of the groups a patch touched since the load (``dirty``, and CIs added) are
    this version's own; the others are :class:`SharedNumbers`, so a patched graph counts
    again only the groups that changed, and allocates nothing of the graph's size but the
    two masks."""

    __slots__ = ("graph", "ignored", "already", "shared", "dirty", "own")

    def __init__(
        self,
        graph: CompactGraph,
        options: ImpactOptions,
        shared: SharedNumbers,
        dirty: np.ndarray,
    ) -> None:
        self.graph = graph
        self.ignored = np.frombuffer(graph.ignored(options), dtype=np.uint8) != 0
        self.already = np.frombuffer(graph.already_down(options), dtype=np.uint8) != 0
        self.shared, self.dirty = shared, dirty
        self.own: dict[int, tuple[int, int, int]] = {}

    def of(self, groups: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The numbers of ``groups`` (sorted, distinct)."""
        shared = self.shared
        mine = (groups >= len(shared.known)) | among(groups, self.dirty)
        if not mine.any():
            new = groups[~shared.known[groups]]
            if len(new):
                self._write(shared, new, *self._count(new))
            return shared.found[groups], shared.pre_down[groups], shared.required[groups]
        numbers = np.zeros((3, len(groups)), dtype=np.int64)
        clean = groups[~mine]
        numbers[:, ~mine] = self.of(clean)
        own = groups[mine]
        new = [g for g in own.tolist() if g not in self.own]
        if new:
            counted = self._count(np.asarray(new, dtype=np.int64))
            self.own.update(zip(new, zip(*(c.tolist() for c in counted), strict=True),
                                strict=True))  # fmt: skip
        numbers[:, mine] = np.asarray([self.own[g] for g in own.tolist()], dtype=np.int64).T
        return numbers[0], numbers[1], numbers[2]

    @staticmethod
    def _write(shared: SharedNumbers, groups: np.ndarray, *counted: np.ndarray) -> None:
        shared.found[groups], shared.pre_down[groups], shared.required[groups] = counted
        shared.known[groups] = True

    def _count(self, groups: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The numbers of ``groups`` (sorted, distinct) counted on this version. A member
        related to its group twice counts once."""
        graph, ignored = self.graph, self.ignored
        width = np.int64(len(graph) + 1)
        at, group = graph.in_.entries(groups)
        member = graph.in_.column("nb")[at].astype(np.int64)
        is_member = (graph.in_.column("kind")[at] == MEMBER) & ~ignored[member]
        pairs = np.unique(np.searchsorted(groups, group[is_member]) * width + member[is_member])
        slot, member = np.divmod(pairs, width)
        found = np.bincount(slot, minlength=len(groups))
        pre_down = np.bincount(slot[self.already[member]], minlength=len(groups))
        rules = graph.rules
        required = np.asarray(
            [rules[g].required(f) for g, f in zip(groups.tolist(), found.tolist(), strict=True)],
            dtype=np.int64,
        )
        return found.astype(np.int64), pre_down.astype(np.int64), required


class Lost:
    """Members lost by the groups a failure weighs, as two sorted arrays (the groups are few:
    an array by CI would cost more to clear than the whole question at a million CIs)."""

    __slots__ = ("groups", "counts")

    def __init__(self) -> None:
        self.groups = self.counts = np.zeros(0, dtype=np.int64)

    def add(self, groups: np.ndarray, newly: np.ndarray) -> np.ndarray:
        """Count ``newly`` more members lost by ``groups`` (sorted, distinct): their totals."""
        every, at = np.unique(np.concatenate((self.groups, groups)), return_inverse=True)
        counts = np.bincount(at, np.concatenate((self.counts, newly)), minlength=len(every))
        self.groups, self.counts = every, counts.astype(np.int64)
        return self.counts[np.searchsorted(every, groups)]


def walks(
    graph: CompactGraph, starts: list[int], options: ImpactOptions
) -> tuple[bytearray, GroupTallies, Search, list[int], PeopleCount]:
    """The final state of every CI (0: not reached, 1 degraded, 2 down; ignored CIs keep
    :data:`~app.cmdb.impact.index.IGNORED`), the redundancy groups weighed, the explaining search,
    the affected business services in its order, and the people hit."""
    state = bytearray(graph.ignored(options))
    if not starts:
        empty = np.zeros(0, dtype=np.int64)
        nothing = Search(empty, empty, [])
        return state, GroupTallies(graph, options, empty, state), nothing, [], count_people(())
    v = vectors(graph)
    n = len(graph)
    numbers = v.numbers(graph, options)
    ignored, already = numbers.ignored, numbers.already
    out = graph.out
    out_nb, out_kind = out.column("nb"), out.column("kind")
    first = np.asarray(starts, dtype=np.int64)

    # Down: plain links, and groups whose rule breaks, until no more break. Only down members
    # count against a rule (degraded ones are up), so the reach is not needed yet.
    # Each round weighs only the CIs it brought down: every CI falls once, and counts once.
    down = np.zeros(n, dtype=bool)
    is_broken = np.zeros(n, dtype=bool)
    lost = Lost()  # by group: its members down in this failure
    fallen_parts = []
    more = search(out, first, n, ignored, plain=True, parents=False)[0]
    while len(more):
        down[more] = True
        fallen_parts.append(more)
        at, member = out.entries(more)
        group = out_nb[at].astype(np.int64)
        # A member counts once per group, and not when it was down before the failure;
        # ignored groups weigh nothing.
        weighs = (out_kind[at] == MEMBER) & ~ignored[group] & ~already[member]
        if weighs.any():
            pairs = np.unique(group[weighs] * np.int64(n) + member[weighs])
            groups, newly = np.unique(pairs // n, return_counts=True)
        else:
            groups = newly = np.zeros(0, dtype=np.int64)
        found, pre_down, required = numbers.of(groups)
        up = found - pre_down - lost.add(groups, newly)
        breaks = groups[(up < required) & ~is_broken[groups]]
        is_broken[breaks] = True
        roots = breaks[~down[breaks]]  # a search from them reaches what they break
        more = search(out, roots, n, ignored, plain=True, parents=False)[0] if len(roots) else roots
        more = more[~down[more]]
    fallen = np.concatenate(fallen_parts) if fallen_parts else more

    # Explain: the reach links, less those into down CIs that do not justify them, searched
    # from the failing CIs: what it reaches is every CI touched, each from the CI that
    # explains it.
    into = graph.in_
    at, target = into.entries(fallen)
    source = into.column("nb")[at]
    justifies = down[source] & ((into.column("kind")[at] != MEMBER) | is_broken[target])
    blocked = np.unique(into.column("to_out")[at[~justifies]]).astype(np.int64)
    reached, parent, levels = search(out, first, n, ignored, blocked=blocked)
    explained = Search(reached, parent, levels)
    states = np.frombuffer(state, dtype=np.uint8)
    states[reached] = _DEGRADED
    states[fallen] = _DOWN

    # The groups weighed: reached groups with a reached member.
    inside = np.zeros(n, dtype=bool)
    inside[reached] = True
    groups = np.sort(reached[v.has(reached, _RULE)])
    at, group = into.entries(groups)
    member = into.column("nb")[at]
    with_inside = group[(into.column("kind")[at] == MEMBER) & inside[member]]
    weighed = np.unique(with_inside)

    hit = reached[v.has(reached, _SERVICE)]
    tallies = GroupTallies(graph, options, weighed, state)
    return state, tallies, explained, hit.tolist(), _people(graph, v, state, reached, hit)


def _people(
    graph: CompactGraph, v: Vectors, state: bytearray, reached: np.ndarray, hit: np.ndarray
) -> PeopleCount:
    """The people hit, as :func:`~app.cmdb.impact.reference.count_people` adds them: assigned
    users of affected (``reached``) CIs and users of affected services known by id, de-duplicated,
    plus the bare numbers of users of the services that only know how many they have."""
    states = np.frombuffer(state, dtype=np.uint8)
    assigned = reached[v.has(reached, _USER)]
    names = graph.assigned
    ids = set(map(names.__getitem__, assigned.tolist()))
    down_ids = set(map(names.__getitem__, assigned[states[assigned] == _DOWN].tolist()))
    if graph.user_ids:  # services of one users group share one set: union each set once
        known = hit[v.has(hit, _IDS)]
        sets = {id(u): u for u in map(graph.user_ids.__getitem__, known.tolist())}
        fallen = known[states[known] == _DOWN].tolist()
        down_sets = {id(u): u for u in map(graph.user_ids.__getitem__, fallen)}
        ids = ids.union(*sets.values())
        down_ids = down_ids.union(*down_sets.values())
    users, user_ids = graph.users, graph.user_ids
    bare = np.fromiter(
        (0 if node in user_ids else users.get(node, 0) for node in hit.tolist()),
        dtype=np.int64,
        count=len(hit),
    )
    counted = np.count_nonzero(bare)
    everyone = int(bare.sum())
    cut_off = int(bare[states[hit] == _DOWN].sum())
    exact = not counted or (counted == 1 and not ids)
    return PeopleCount(len(ids) + everyone, len(down_ids) + cut_off, exact)


class Search:
    """An explaining breadth-first search: the affected CIs in order (:attr:`ids`, dense
    ints), and, made when first read, as lists: the same (:attr:`order`), each one's previous
    CI on its path (:attr:`via`, ``None`` for a failing CI) and each one's depth."""

    __slots__ = ("ids", "size", "_parent", "_levels", "_lists")

    def __init__(self, ids: np.ndarray, parent: np.ndarray, levels: list[int]) -> None:
        self.ids, self._parent, self._levels = ids, parent, levels
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
            sources = self._levels[0] if self._levels else 0
            found = [None] * sources
            found += self._parent[sources:].tolist()
            self._lists["via"] = found
        return found

    @property
    def depth(self) -> list[int]:
        found = self._lists.get("depth")
        if found is None:
            counts = self._levels
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
