"""The impact engine on the compact index: the answers of :mod:`app.cmdb.impact`, faster.

Pure code over a :class:`~app.cmdb.compact.CompactGraph`. The propagation rules, the order of
traversal and the result types are those of :mod:`app.cmdb.impact` (its docstring states the
rules); tests/unit/test_cmdb_compact.py checks both engines give identical results on random
and real graphs. Here the walks run over dense ints: states in a ``bytearray``, neighbours
sliced from CSR arrays, ids and names looked up only for what the answer reports.

When no CI ends up degraded (no redundancy rule held), the propagation is itself the
breadth-first search that explains each CI, so its depths and paths are kept and the second
search is skipped: the common case of a failure without redundancy costs one walk.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import chain, count, repeat

from app.cmdb.compact import IGNORED, CompactGraph
from app.cmdb.compact_result import answer
from app.cmdb.graph import MEMBER, CiId, Dependency, ImpactOptions, towards
from app.cmdb.impact import GroupTally, ImpactResult
from app.cmdb.root_causes import RootCauseCandidate, rank_candidates, root_cause_question

_DEGRADED, _DOWN = 1, 2

Search = tuple[list[int], list[int | None], list[int]]
"""An explaining breadth-first search: the affected CIs in order, each one's previous CI on
its path (``None`` for a failing CI), each one's depth."""

_DONE = 255
_RANK = bytes([_DONE, _DEGRADED, _DOWN, _DONE]) + bytes([_DONE]) * 252  # state -> rank[v]


def impact(
    graph: CompactGraph, failing_ci_ids: Iterable[CiId], options: ImpactOptions = ImpactOptions()
) -> ImpactResult:
    """What the failure of ``failing_ci_ids`` hits, how badly, how many people, and why.

    Same answer as :func:`app.cmdb.impact.impact` on the networkx graph of the same CMDB.

    :raise ValueError: an unknown CI id, or more than ``options.max_cis`` failing CIs.
    """
    failing = tuple(dict.fromkeys(failing_ci_ids))
    if len(failing) > options.max_cis:
        raise ValueError(f"{len(failing)} failing CIs; at most {options.max_cis} per question")
    nodes = [graph.node(c) for c in failing]
    skip = graph.ignored(options)
    ignored = tuple(graph.ids[v] for v in nodes if skip[v])
    starts = [v for v in nodes if not skip[v]]
    state, groups, search = _propagate(graph, starts, options, skip)
    if search is None:
        search = _explain(graph, starts, state, groups)
    return answer(graph, starts, ignored, state, groups, search)


def what_if(
    graph: CompactGraph, ci_ids: Iterable[CiId], options: ImpactOptions = ImpactOptions()
) -> ImpactResult:
    """The impact of several CIs failing together; see :func:`impact`."""
    return impact(graph, ci_ids, options)


def _propagate(
    graph: CompactGraph, starts: list[int], options: ImpactOptions, skip: bytes
) -> tuple[bytearray, dict[int, GroupTally], Search | None]:
    """Least fixed point of the propagation rules: each CI's state (0: not reached, IGNORED).

    Down CIs are walked first, breadth first, and degraded ones only then: a CI only gets worse
    through down ones, so each CI is walked once, at its final state. Also returns the
    explaining search when no CI was ever degraded (see the module docstring). Rows without a
    membership entry (:meth:`CompactGraph.member_rows`, most of them) take a plain fast path.
    """
    start, nb, kind, member_rows = (
        graph.out_start,
        graph.out_nb,
        graph.out_kind,
        graph.member_rows(),
    )
    state = bytearray(skip)  # ignored CIs start above down: nothing reaches them
    for v in starts:
        state[v] = _DOWN
    groups: dict[int, GroupTally] = {}
    down = list(starts)  # FIFO, read one generation at a time: generation = depth when plain
    via: list[int | None] = [None] * len(starts)
    add_down, add_via = down.append, via.append
    degraded: list[int] = []
    levels: list[int] = []
    head = 0
    while head < len(down):
        levels.append(len(down) - head)
        generation, head = down[head:], len(down)
        for u in generation:
            s, e = start[u], start[u + 1]
            if not member_rows[u]:
                for v in nb[s:e]:
                    if state[v] < _DOWN:
                        state[v] = _DOWN
                        add_down(v)
                        add_via(u)
                continue
            for v, k in zip(nb[s:e], kind[s:e], strict=True):
                if k == MEMBER:
                    tally = groups.get(v) or _tally(graph, groups, v, state, options)
                    if tally is None:
                        continue
                    if tally.mark(u, _DOWN) == _DEGRADED:
                        if not state[v]:
                            state[v] = _DEGRADED
                            degraded.append(v)
                        continue
                if state[v] < _DOWN:
                    state[v] = _DOWN
                    add_down(v)
                    add_via(u)
    if not degraded:
        return state, groups, (down, via, _depths(levels))
    add_degraded = degraded.append
    for u in degraded:  # grows while it is read
        if state[u] != _DEGRADED:
            continue  # went down later, and was walked then
        s, e = start[u], start[u + 1]
        if not member_rows[u]:
            for v in nb[s:e]:
                if not state[v]:
                    state[v] = _DEGRADED
                    add_degraded(v)
            continue
        for v, k in zip(nb[s:e], kind[s:e], strict=True):
            if k == MEMBER:
                tally = groups.get(v) or _tally(graph, groups, v, state, options)
                if tally is None:
                    continue
                tally.mark(u, _DEGRADED)
            if not state[v]:
                state[v] = _DEGRADED
                add_degraded(v)
    return state, groups, None


def _depths(levels: list[int]) -> list[int]:
    """Depth of each position of a breadth-first order, from the size of each generation."""
    return list(chain.from_iterable(map(repeat, count(), levels)))


def _tally(
    graph: CompactGraph,
    groups: dict[int, GroupTally],
    group: int,
    state: bytearray,
    options: ImpactOptions,
) -> GroupTally | None:
    """The running tally of a group a failure reaches over a membership link (``None``: the
    group is ignored)."""
    if state[group] == IGNORED:
        return None
    return groups.get(group) or groups.setdefault(group, _open_group(graph, group, options))


def _open_group(graph: CompactGraph, group: int, options: ImpactOptions) -> GroupTally:
    members, special = graph.members(group)
    if special:  # some members are not in service: leave out ignored ones, count down ones
        skip, down = graph.ignored(options), graph.already_down(options)
        left_out = {m for m in special if skip[m]}
        found = set(members) - left_out
        pre_down = {m for m in special if down[m] and m not in left_out}
    else:
        found, pre_down = set(members), set()
    return GroupTally(found, graph.rules[group].required(len(found)), pre_down)


def _explain(
    graph: CompactGraph, starts: list[int], state: bytearray, groups: dict[int, GroupTally]
) -> Search:
    """Breadth-first search over the links that justify each final state (as the networkx
    engine's ``_explain``).

    ``rank[v]`` is the state ``v`` still waits to be explained at, or 255 once explained or
    never to be (not reached, ignored): a plain link from ``u`` explains ``v`` when
    ``rank[v] <= state[u]``, one comparison per link.
    """
    start, nb, kind, member_rows = (
        graph.out_start,
        graph.out_nb,
        graph.out_kind,
        graph.member_rows(),
    )
    outcome = {g: tally.outcome() for g, tally in groups.items()}  # final: read once
    rank = bytearray(state.translate(_RANK))
    for v in starts:
        rank[v] = _DONE
    order = list(starts)
    via: list[int | None] = [None] * len(starts)
    add_order, add_via = order.append, via.append
    levels: list[int] = []
    head = 0
    while head < len(order):
        levels.append(len(order) - head)
        generation, head = order[head:], len(order)
        for u in generation:
            su = state[u]
            s, e = start[u], start[u + 1]
            if not member_rows[u]:
                for v in nb[s:e]:
                    if rank[v] <= su:
                        rank[v] = _DONE
                        add_order(v)
                        add_via(u)
                continue
            for v, k in zip(nb[s:e], kind[s:e], strict=True):
                sv = rank[v]
                if sv == _DONE:
                    continue
                group = outcome.get(v) if k == MEMBER else None
                if group is not None:
                    ok = group == sv and (su == _DOWN or sv == _DEGRADED)
                else:
                    ok = su >= sv
                if ok:
                    rank[v] = _DONE
                    add_order(v)
                    add_via(u)
    return order, via, _depths(levels)


def walk_needs(
    graph: CompactGraph, node: int, skip: bytes
) -> tuple[dict[int, int], dict[int, int | None]]:
    """Breadth-first search against the failure direction from a dense int, skipping CIs
    marked in ``skip`` (:meth:`CompactGraph.ignored`): each reached CI's depth and the next
    CI on its way to ``node`` (``None`` for ``node``), as :func:`app.cmdb.graph.walk_needs`."""
    start, nb = graph.in_start, graph.in_nb
    depth: dict[int, int] = {node: 0}
    needed_by: dict[int, int | None] = {node: None}
    queue = [node]
    for u in queue:
        du = depth[u] + 1
        for v in nb[start[u] : start[u + 1]]:
            if v in depth or skip[v]:
                continue
            depth[v], needed_by[v] = du, u
            queue.append(v)
    return depth, needed_by


def upstream(
    graph: CompactGraph, ci_id: CiId, options: ImpactOptions = ImpactOptions()
) -> tuple[Dependency, ...]:
    """Everything ``ci_id`` needs, nearest first, as :func:`app.cmdb.graph.upstream`.

    :raise ValueError: ``ci_id`` is not in the graph.
    """
    depth, needed_by = walk_needs(graph, graph.node(ci_id), graph.ignored(options))
    ids, names, classes = graph.ids, graph.names, graph.classes
    return tuple(
        Dependency(ids[c], names[c], classes[c], depth[c], ids[n], graph.need_label(n, c))
        for c, n in needed_by.items()
        if n is not None
    )


def root_cause_candidates(
    graph: CompactGraph,
    ci_ids_with_open_incidents: Iterable[CiId],
    options: ImpactOptions = ImpactOptions(),
    *,
    min_score: float = 0.5,
    limit: int = 10,
) -> tuple[RootCauseCandidate, ...]:
    """CIs that all, or at least ``min_score`` of, the given CIs need, best first, as
    :func:`app.cmdb.impact.root_cause_candidates`.

    :raise ValueError: an unknown CI id, more than ``options.max_cis`` CIs, or ``min_score``
        outside (0, 1].
    """
    incidents = [
        graph.node(c) for c in root_cause_question(ci_ids_with_open_incidents, options, min_score)
    ]
    skip = graph.ignored(options)
    searches = {i: walk_needs(graph, i, skip) for i in incidents}
    depths = {i: search[0] for i, search in searches.items()}
    ids, names, classes = graph.ids, graph.names, graph.classes
    return tuple(
        RootCauseCandidate(
            ids[c],
            names[c],
            classes[c],
            score,
            distance,
            tuple(ids[i] for i in covered),
            tuple(ids[i] for i in incidents if i not in covered),
            tuple(graph.path(towards(searches[i][1], c)) for i in covered),
        )
        for score, distance, c, covered in rank_candidates(incidents, depths, min_score, limit, int)
    )
