"""A CI's neighbourhood for the graph page, straight from the compact index.

Pure code (standard library and networkx, no Flask, no database). The graph page shows at
most :data:`app.cmdb.graph.layout.MAX_NODES` CIs within three hops of one CI. :func:`around` finds
them on the rows of :class:`~app.cmdb.impact.index.CompactGraph` and builds the networkx
graph of just those CIs and the relations among them, so a request never needs the networkx
graph of the whole CMDB (seconds and about 200 MB per worker at 100,000 CIs,
bench/cmdb_graph_page.py). :func:`app.cmdb.graph.layout.draw` lays it out into the same picture
:func:`app.cmdb.graph.layout.neighbourhood` draws from the whole graph.

Which arrays answer what
------------------------
* The search runs on dense ints. A CI's neighbours either way are the CIs in its failure rows
  (``out_row`` and ``in_row``: every relation a failure crosses in some direction appears in
  both ends' rows), plus the partners of relations no failure crosses (types that spread
  neither way: found by one pass over the relations' combinations, only when such a type exists).
* The relations among the CIs found come from each CI's relations as source (``pair_row``,
  targets ascending); ``combos`` names their types.
* Dense ints follow the networkx graph's node order, so "the graph's id order" is the dense
  order and the small graph lists nodes and edges in the whole graph's order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from itertools import compress
from typing import TYPE_CHECKING

from app.cmdb.graph.layout import MAX_NODES, Around, check_depth, discover
from app.cmdb.graph.vocabulary import CiId, build_graph

if TYPE_CHECKING:
    from app.cmdb.impact.index import CompactGraph


def around(index: CompactGraph, centre: CiId, depth: int, max_nodes: int = MAX_NODES) -> Around:
    """The CIs within ``depth`` hops of ``centre`` either way (at most ``max_nodes``, picked as
    :func:`app.cmdb.graph.layout.around` picks them), with the networkx graph of these CIs and the
    relations among them, for :func:`app.cmdb.graph.layout.draw`.

    :raise ValueError: ``depth`` is outside 1–3, or ``centre`` is not in the index.
    """
    check_depth(depth)
    start = index.node(centre)
    names = index.names
    found, truncated = discover(
        start, depth, max_nodes, _neighbours(index), lambda node: (names[node], node)
    )
    shown = sorted(found)
    graph = build_graph(map(index.ci, shown), _relations_among(index, shown), index.relation_types)
    ids = index.ids
    distance = {ids[node]: hops for node, hops in found.items()}
    return Around(graph, ids[start], depth, distance, truncated)


def _neighbours(index: CompactGraph) -> Callable[[int], set[int]]:
    """A function from a dense int to the set of CIs related to it either way."""
    out_row, in_row = index.out_row, index.in_row
    silent = _silent_partners(index)

    def neighbours(node: int) -> set[int]:
        found = {*out_row(node)}
        found.update(in_row(node))
        found.update(silent.get(node, ()))
        return found

    return neighbours


def _silent_partners(index: CompactGraph) -> dict[int, list[int]]:
    """Dense int -> the CIs it is related to by relations no failure crosses either way.

    Empty (and no pass over the pairs) unless a relation type spreads neither way."""
    types = index.relation_types
    silent = {
        c
        for c, combo in enumerate(index.combos)
        if not any(types[t].spreads(True) or types[t].spreads(False) for t in combo)
    }
    partners: dict[int, list[int]] = {}
    if not silent:
        return partners
    src, dst, combo = (a.tolist() for a in index.pair_arrays())
    for p in compress(range(len(src)), map(silent.__contains__, combo)):
        partners.setdefault(src[p], []).append(dst[p])
        partners.setdefault(dst[p], []).append(src[p])
    return partners


def _relations_among(index: CompactGraph, shown: Sequence[int]) -> Iterator[tuple[CiId, CiId, str]]:
    """Every relation between two of the ``shown`` dense ints, as ``(source id, target id,
    type)``."""
    members = set(shown)
    combos, ids = index.combos, index.ids
    for s in shown:
        targets, pair_combos = index.pair_row(s)
        for t, c in compress(zip(targets, pair_combos, strict=True),
                             map(members.__contains__, targets)):  # fmt: skip
            source, target = ids[s], ids[t]
            for type_name in combos[c]:
                yield source, target, type_name
