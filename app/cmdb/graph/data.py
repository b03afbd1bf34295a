"""A CI's neighbourhood and the impact of its failure as plain, JSON-ready data, for the
interactive graph view (``app/static/js/cmdb-graph.js``).

Pure code (no Flask, no database): positions and highlighted edges come from the picture
:func:`app.cmdb.graph.layout.draw` drew, the impact from :func:`app.cmdb.impact.reference.impact`;
the view passes in how to link to a CI and the class labels it read.

The answer is bounded: at most :data:`app.cmdb.graph.layout.MAX_NODES` CIs within three hops, and
at most :data:`MAX_LISTED` services and redundancy groups (the totals say how many there are).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from app.cmdb.graph.layout import MAX_NODES, STATE_COLOURS, Picture
from app.cmdb.graph.vocabulary import CiId
from app.cmdb.impact.reference import ImpactResult, State

MAX_LISTED = 50


def neighbourhood_data(
    picture: Picture,
    result: ImpactResult | None,
    *,
    links: Callable[[CiId], Mapping[str, str]],
    class_labels: Mapping[CiId, str] | None = None,
) -> dict[str, Any]:
    """Nodes, edges, the centre's impact and the colours, for the graph view.

    ``picture`` is the laid-out neighbourhood (coloured by ``result``'s states), ``result``
    the impact of the centre failing (``None``: not computed); ``links(ci_id)`` gives a node's
    ``url`` (its CI page) and ``graph_url`` (the graph centred on it).
    """
    labels = class_labels or {}
    failing = set(result.failing) if result else set()
    nodes = [
        {
            "id": str(n.ci_id),
            "ci_id": n.ci_id,
            "name": n.name,
            "label": n.label,
            "class": n.ci_class,
            "class_label": labels.get(n.ci_id, n.ci_class.replace("_", " ")),
            "status": n.status.value,
            "distance": n.distance,
            "x": n.x,
            "y": n.y,
            "state": n.state,
            "centre": n.distance == 0,
            "failing": n.ci_id in failing,
            "service": n.service,
            "group": n.group,
            **links(n.ci_id),
        }
        for n in picture.nodes
    ]
    edges = [
        {
            "id": f"{e.source}->{e.target}",
            "source": str(e.source),
            "target": str(e.target),
            "types": list(e.types),
            "label": e.label,
            "hot": e.hot,
        }
        for e in picture.edges
    ]
    centre = next(n.ci_id for n in picture.nodes if n.distance == 0)
    return {
        "centre": str(centre),
        "truncated": picture.truncated,
        "max_nodes": MAX_NODES,
        "nodes": nodes,
        "edges": edges,
        "impact": _impact(result, picture) if result is not None else None,
        "palette": {
            (state or "none"): {"fill": fill, "stroke": stroke}
            for state, (fill, stroke) in STATE_COLOURS.items()
        },
    }


def _impact(result: ImpactResult, picture: Picture) -> dict[str, Any]:
    """What the failure hits, in the whole CMDB, with what of it is in the picture."""
    shown = {n.ci_id for n in picture.nodes}
    down = sum(1 for a in result.affected if a.state is State.DOWN)
    return {
        "failing": [str(c) for c in result.failing],
        "ignored": [str(c) for c in result.ignored],
        "affected": len(result.affected),
        "down": down,
        "degraded": len(result.affected) - down,
        "affected_in_view": sum(1 for a in result.affected if a.ci_id in shown),
        "people": {
            "affected": result.people.affected,
            "cut_off": result.people.cut_off,
            "exact": result.people.exact,
        },
        "services_total": len(result.services),
        "services": [
            {
                "id": str(s.ci_id),
                "name": s.name,
                "state": s.state.value,
                "users": s.users,
                "path": s.path.describe(),
                "in_view": s.ci_id in shown,
            }
            for s in result.services[:MAX_LISTED]
        ],
        "groups_total": len(result.decisions),
        "groups": [
            {
                "id": str(d.ci_id),
                "name": d.name,
                "state": d.state.value,
                "held": d.state is State.DEGRADED,
                "explanation": d.describe(),
                "in_view": d.ci_id in shown,
            }
            for d in result.decisions[:MAX_LISTED]
        ],
    }
