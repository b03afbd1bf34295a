"""Group alerting CIs by the CMDB: the most upstream alerting CIs are roots, the others their
children (pure: no Flask, no SQLAlchemy).

Given the CIs with firing alerts in a window and the compact index of the CMDB
(:class:`~app.cmdb.impact.index.CompactGraph`), :func:`group_alerting` answers which of them
are **roots** (one incident each) and, for every other one, the root whose failure explains
it, with the chain of CIs in between.

1. **Candidates**: the alerting CIs that no other alerting CI reaches over the failure
   adjacency (the relations a failure crosses; CIs the options ignore, retired and planned by
   default, neither fail nor pass failures on). One breadth-first walk from all alerting CIs.
2. **Explanation**: the impact engine (:func:`app.cmdb.impact.engine.impact`) propagates the
   failure of the candidates together, with its redundancy rules; every alerting CI it
   reaches (down or degraded) is a child of the candidate its explaining chain starts from.
3. Alerting CIs still unexplained (a cycle of CIs that only reach each other, or a CI the
   candidates' failure cannot reach through a CI the options treat as already down) become
   roots too, lowest id first, and step 2 runs again: every alerting CI ends up a root or a
   child, and the answer does not depend on the order alerts arrived in.

CIs unknown to the graph are roots of their own.

**Group wait** (:func:`adoptions`): alerts on dependants often arrive moments before the
alert on the CI they depend on, and open incidents of their own. When the root's incident
exists, each open incident of a CI that is now its child, opened at most the source's group
wait before the root's (or after it), is adopted: it becomes a child incident of the root's.
An older one stays as it was: it predates the root's failure, so the root does not explain it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from app.cmdb.graph.vocabulary import CiId, ImpactOptions

if TYPE_CHECKING:  # the engine (numpy) loads when alerts are first grouped (issue 20)
    from app.cmdb.impact.index import CompactGraph

MAX_ROUNDS = 20
"""Rounds of step 3 before every CI still unexplained is made a root at once."""


@dataclass(frozen=True)
class Grouping:
    """``roots`` in id order; ``root_of`` maps every alerting CI to its root (a root to
    itself); ``chain_of`` gives a child's chain of CI ids from its root to it."""

    roots: tuple[CiId, ...]
    root_of: Mapping[CiId, CiId]
    chain_of: Mapping[CiId, tuple[CiId, ...]]

    def children(self, root: CiId) -> tuple[CiId, ...]:
        return tuple(c for c, r in self.root_of.items() if r == root and c != root)


def group_alerting(
    graph: CompactGraph, alerting: Iterable[CiId], options: ImpactOptions = ImpactOptions()
) -> Grouping:
    """Roots and children of the alerting CIs (see the module docstring)."""
    ids = list(dict.fromkeys(alerting))
    known = [c for c in ids if c in graph]
    root_of: dict[CiId, CiId] = {c: c for c in ids if c not in graph}
    chain_of: dict[CiId, tuple[CiId, ...]] = {}
    nodes = {graph.node(c): c for c in known}
    skip = graph.ignored(options)
    reached = _reached_from_others(graph, nodes, skip)
    roots = {c for n, c in nodes.items() if n not in reached}
    rest = [c for c in known if c not in roots]
    for round_ in range(MAX_ROUNDS + 1):
        unexplained = _explain(graph, sorted(roots), rest, options, root_of, chain_of)
        if not unexplained:
            break
        if round_ == MAX_ROUNDS:
            roots.update(unexplained)
        else:
            roots.add(min(unexplained))
        rest = unexplained
    for root in roots:
        root_of[root] = root
        chain_of.pop(root, None)
    every_root = sorted(c for c, r in root_of.items() if c == r)
    return Grouping(tuple(every_root), {c: root_of[c] for c in ids}, chain_of)


def _reached_from_others(graph: CompactGraph, nodes: Mapping[int, CiId], skip: bytes) -> set[int]:
    """Dense ints reached at depth one or more from any alerting CI (ignored CIs neither fail
    nor pass a failure on)."""
    row = graph.out_row
    reached: set[int] = set()
    queue = [u for u in nodes if not skip[u]]
    for u in queue:  # the list grows while we walk it: breadth first
        for v in row(u):
            if v not in reached and not skip[v]:
                reached.add(v)
                queue.append(v)
    return reached


def _explain(
    graph: CompactGraph,
    roots: list[CiId],
    candidates: list[CiId],
    options: ImpactOptions,
    root_of: dict[CiId, CiId],
    chain_of: dict[CiId, tuple[CiId, ...]],
) -> list[CiId]:
    """Attach the candidates the roots' failure reaches; return those it does not reach."""
    if not candidates:
        return []
    if not roots:
        return list(candidates)
    from app.cmdb.impact.engine import impact

    result = impact(graph, roots, replace(options, max_cis=max(len(roots), 1)))
    unexplained = []
    for ci in candidates:
        if result.get(ci) is None:
            unexplained.append(ci)
            continue
        chain = result.chain(ci)
        root_of[ci] = chain[0]
        chain_of[ci] = chain
    return unexplained


def adoptions(
    grouping: Grouping, opened_at: Mapping[CiId, datetime], wait: timedelta
) -> list[tuple[CiId, CiId]]:
    """The ``(child CI, root CI)`` pairs whose open incidents the root's adopts.

    ``opened_at`` holds, for every CI with an open alert incident of its own (children and
    roots alike), when that incident opened. A child's incident is adopted when its root has
    one too and the child's opened no more than ``wait`` before the root's; in child id order.
    """
    found = []
    for child, root in sorted(grouping.root_of.items()):
        if child == root or child not in opened_at or root not in opened_at:
            continue
        if opened_at[child] >= opened_at[root] - wait:
            found.append((child, root))
    return found
