"""The impact engine on the compact index: the answers of :mod:`app.cmdb.impact.reference`, faster.

Pure code over a :class:`~app.cmdb.impact.index.CompactGraph`. The propagation rules, the order of
traversal and the result types are those of :mod:`app.cmdb.impact.reference` (its docstring
states the rules); tests/unit/test_cmdb_compact.py checks both engines give identical results on
random and real graphs. Impact walks run in numpy (:mod:`app.cmdb.impact.vector`); the walks of
upstream and root-cause questions, which reach a few hundred CIs, run here over the rows. Ids and
names are looked up only for what an answer reports.
"""

from __future__ import annotations

from collections.abc import Iterable

from app.cmdb.graph.vocabulary import CiId, Dependency, ImpactOptions, towards
from app.cmdb.impact.index import CompactGraph
from app.cmdb.impact.reference import ImpactResult
from app.cmdb.impact.result import answer
from app.cmdb.impact.vector import walks
from app.cmdb.root_causes import RootCauseCandidate, rank_candidates, root_cause_question


def impact(
    graph: CompactGraph, failing_ci_ids: Iterable[CiId], options: ImpactOptions = ImpactOptions()
) -> ImpactResult:
    """What the failure of ``failing_ci_ids`` hits, how badly, how many people, and why.

    Same answer as :func:`app.cmdb.impact.reference.impact` on the networkx graph of the same CMDB.

    :raise ValueError: an unknown CI id, or more than ``options.max_cis`` failing CIs.
    """
    failing = tuple(dict.fromkeys(failing_ci_ids))
    if len(failing) > options.max_cis:
        raise ValueError(f"{len(failing)} failing CIs; at most {options.max_cis} per question")
    nodes = [graph.node(c) for c in failing]
    skip = graph.ignored(options)
    ignored = tuple(graph.ids[v] for v in nodes if skip[v])
    starts = [v for v in nodes if not skip[v]]
    return answer(graph, starts, ignored, *walks(graph, starts, options))


def what_if(
    graph: CompactGraph, ci_ids: Iterable[CiId], options: ImpactOptions = ImpactOptions()
) -> ImpactResult:
    """The impact of several CIs failing together; see :func:`impact`."""
    return impact(graph, ci_ids, options)


def walk_needs(
    graph: CompactGraph, node: int, skip: bytes
) -> tuple[dict[int, int], dict[int, int | None]]:
    """Breadth-first search against the failure direction from a dense int, skipping CIs
    marked in ``skip`` (:meth:`CompactGraph.ignored`): each reached CI's depth and the next
    CI on its way to ``node`` (``None`` for ``node``), as
    :func:`app.cmdb.graph.vocabulary.walk_needs`."""
    row = graph.in_row
    depth: dict[int, int] = {node: 0}
    needed_by: dict[int, int | None] = {node: None}
    queue = [node]
    for u in queue:
        du = depth[u] + 1
        for v in row(u):
            if v in depth or skip[v]:
                continue
            depth[v], needed_by[v] = du, u
            queue.append(v)
    return depth, needed_by


def upstream(
    graph: CompactGraph, ci_id: CiId, options: ImpactOptions = ImpactOptions()
) -> tuple[Dependency, ...]:
    """Everything ``ci_id`` needs, nearest first, as :func:`app.cmdb.graph.vocabulary.upstream`.

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
    :func:`app.cmdb.impact.reference.root_cause_candidates`.

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
