"""Root-cause candidates: the CIs that several CIs with open incidents all need.

Pure code. :func:`root_cause_candidates` answers on the networkx graph;
:func:`app.cmdb.impact.engine.root_cause_candidates` answers the same on the compact index,
and both rank with :func:`rank_candidates`.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import networkx as nx

from app.cmdb.graph.vocabulary import (
    CiId,
    ImpactOptions,
    Path,
    make_path,
    sort_key,
    towards,
    walk_needs,
)


@dataclass(frozen=True)
class RootCauseCandidate:
    """A CI that several CIs with open incidents need: a likely common cause.

    ``score`` is the share of the incident CIs it explains (1.0: all of them); ``distance`` the
    mean depth to them; ``evidence`` one path per explained CI, from the candidate to it.
    """

    ci_id: CiId
    name: str
    ci_class: str
    score: float
    distance: float
    explains: tuple[CiId, ...]
    unexplained: tuple[CiId, ...]
    evidence: tuple[Path, ...]


def root_cause_candidates(
    graph: nx.DiGraph,
    ci_ids_with_open_incidents: Iterable[CiId],
    options: ImpactOptions = ImpactOptions(),
    *,
    min_score: float = 0.5,
    limit: int = 10,
) -> tuple[RootCauseCandidate, ...]:
    """CIs that all, or at least ``min_score`` of, the given CIs need, best first.

    A CI with an incident can itself be the candidate (it explains itself at distance 0).
    Order: highest score, then smallest mean distance, then sorted id, so equal evidence always
    gives the same answer.

    :raise ValueError: an unknown CI id, more than ``options.max_cis`` CIs, or ``min_score``
        outside (0, 1].
    """
    incidents = root_cause_question(ci_ids_with_open_incidents, options, min_score)
    searches = {i: walk_needs(graph, i, options) for i in incidents}
    depths = {i: search[0] for i, search in searches.items()}
    cis = graph.graph["cis"]
    return tuple(
        RootCauseCandidate(
            c,
            cis[c].name,
            cis[c].ci_class,
            score,
            distance,
            tuple(covered),
            tuple(i for i in incidents if i not in covered),
            tuple(make_path(graph, towards(searches[i][1], c)) for i in covered),
        )
        for score, distance, c, covered in rank_candidates(
            incidents, depths, min_score, limit, sort_key
        )
    )


def root_cause_question(
    ci_ids: Iterable[CiId], options: ImpactOptions, min_score: float
) -> tuple[CiId, ...]:
    """The distinct incident CIs of a root-cause question. :raise ValueError: see the caller."""
    incidents = tuple(dict.fromkeys(ci_ids))
    if len(incidents) > options.max_cis:
        raise ValueError(f"{len(incidents)} CIs; at most {options.max_cis} per question")
    if not 0 < min_score <= 1:
        raise ValueError(f"min_score must be in (0, 1], not {min_score}")
    return incidents


def rank_candidates(
    incidents: Sequence[Hashable],
    depths: Mapping[Hashable, Mapping[Hashable, int]],
    min_score: float,
    limit: int,
    key: Callable[[Any], Any],
) -> list[tuple[float, float, Any, list[Any]]]:
    """``(score, mean distance, candidate, incidents it explains)``, best first, from each
    incident's needs (``depths[incident][candidate]``); ``key`` orders equal candidates."""
    explained: dict[Hashable, list[Hashable]] = {}
    for i in incidents:
        for c in depths[i]:
            explained.setdefault(c, []).append(i)
    ranked = []
    for c, covered in explained.items():
        score = len(covered) / len(incidents)
        if score >= min_score:
            distance = sum(depths[i][c] for i in covered) / len(covered)
            ranked.append((-score, distance, key(c), c, covered))
    ranked.sort(key=lambda r: r[:3])
    return [(-minus, distance, c, covered) for minus, distance, _, c, covered in ranked[:limit]]
