"""A CI's neighbourhood as positioned nodes and edges, for a server-rendered SVG.

Pure code over a graph from :func:`app.cmdb.graph.vocabulary.build_graph`: no Flask, no database.
Laying out is two steps: find the CIs to show (:class:`Around`), then :func:`draw` them. The graph
page finds them on the compact index (:func:`app.cmdb.graph.neighbourhood.around`), so no request
builds the networkx graph of the whole CMDB; :func:`neighbourhood` finds them on a whole graph
(tests, the reference the compact way is checked against). Both give the same picture.

The picture reads in the direction of a failure, left to right: the centre CI in column 0,
what it needs (its failure-direction predecessors) in columns to the left, what its failure
reaches in columns to the right, by distance. CIs related only sideways (a sibling member of
the same cluster, another user of the same switch) are its peers: they sit one column nearer
the centre than the CI through which they were found. Within a column
nodes are sorted by name, so the picture is the same for the same CMDB.

The same picture feeds both views of the graph page: the server-rendered SVG (colours are SVG
presentation attributes, which the Content-Security-Policy allows; it works without script
and prints) and the interactive Cytoscape.js view, which places nodes at these positions
(:mod:`app.cmdb.graph.data` shapes the JSON it reads).

An edge is *hot* when the failure crosses it: both ends are affected and the relation carries
a failure from one end to the other.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import networkx as nx

from app.cmdb.graph.vocabulary import BUSINESS_SERVICE, CiId, Lifecycle, sort_key

T = TypeVar("T")

COLUMN_GAP = 230.0
ROW_GAP = 64.0
MARGIN = 40.0
MAX_NODES = 80
BOX_WIDTH, BOX_HEIGHT = 124.0, 40.0
STATE_COLOURS = {
    "down": ("#fde3e3", "#b42318"),
    "degraded": ("#fff4db", "#b26b00"),
    "centre": ("#dbe8f7", "#1f4e79"),
    None: ("#ffffff", "#8a97a8"),
}


@dataclass(frozen=True)
class Node:
    ci_id: CiId
    name: str
    label: str
    ci_class: str
    distance: int
    x: float
    y: float
    state: str | None
    status: Lifecycle
    service: bool
    group: str | None
    fill: str
    stroke: str

    @property
    def retired(self) -> bool:
        return self.status is Lifecycle.RETIRED


@dataclass(frozen=True)
class Edge:
    source: CiId
    target: CiId
    types: tuple[str, ...]
    label: str
    x1: float
    y1: float
    x2: float
    y2: float
    lx: float
    ly: float
    hot: bool


@dataclass(frozen=True)
class Picture:
    width: float
    height: float
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    truncated: bool


@dataclass(frozen=True)
class Around:
    """The CIs within ``depth`` hops of ``centre``, found and ready to lay out (:func:`draw`).

    ``graph`` holds at least these CIs and the relations among them, with the attributes of
    :func:`~app.cmdb.graph.vocabulary.build_graph`: the whole CMDB graph (:func:`around`), or the
    small graph of just these CIs that :func:`app.cmdb.graph.neighbourhood.around` builds from the
    compact index. ``distance`` gives each CI's hops from ``centre``, in the order they were found;
    ``truncated`` says more CIs were within reach than the cap let in.
    """

    graph: nx.DiGraph
    centre: CiId
    depth: int
    distance: Mapping[CiId, int]
    truncated: bool


def neighbourhood(
    graph: nx.DiGraph,
    centre: CiId,
    depth: int,
    states: dict[CiId, str] | None = None,
    max_nodes: int = MAX_NODES,
) -> Picture:
    """The CIs within ``depth`` hops of ``centre`` (at most ``max_nodes``), laid out in columns.

    ``states`` marks CIs to highlight (``"down"``/``"degraded"``, e.g. the centre's impact).

    :raise ValueError: ``centre`` is not in the graph, or ``depth`` is outside 1–3.
    """
    return draw(around(graph, centre, depth, max_nodes), states)


def around(graph: nx.DiGraph, centre: CiId, depth: int, max_nodes: int = MAX_NODES) -> Around:
    """The CIs :func:`neighbourhood` shows, found on the whole CMDB graph.

    :raise ValueError: ``centre`` is not in the graph, or ``depth`` is outside 1–3.
    """
    check_depth(depth)
    if centre not in graph:
        raise ValueError(f"no CI {centre!r} in the CMDB graph")
    cis = graph.graph["cis"]
    distance, truncated = discover(
        centre,
        depth,
        max_nodes,
        lambda u: {*graph.successors(u), *graph.predecessors(u)},
        lambda c: (cis[c].name, sort_key(c)),
    )
    return Around(graph, centre, depth, distance, truncated)


def check_depth(depth: int) -> None:
    """:raise ValueError: ``depth`` is outside 1–3."""
    if not 1 <= depth <= 3:
        raise ValueError("depth must be 1, 2 or 3")


def discover(
    centre: T,
    depth: int,
    max_nodes: int,
    neighbours: Callable[[T], Iterable[T]],
    key: Callable[[T], Any],
) -> tuple[dict[T, int], bool]:
    """Breadth-first search from ``centre`` over relations either way, up to ``depth`` hops and
    ``max_nodes`` CIs; and whether the cap left CIs out.

    Each CI's neighbours are taken in ``key`` order (name, then the graph's id order), so which
    CIs make the cut, and the order they are found in, depend only on the CMDB. Both ways of
    finding a neighbourhood (:func:`around`, :func:`app.cmdb.graph.neighbourhood.around`) use it.
    """
    distance: dict[T, int] = {centre: 0}
    queue = deque([centre])
    truncated = False
    while queue:
        u = queue.popleft()
        if distance[u] == depth:
            continue
        for v in sorted(neighbours(u), key=key):
            if v in distance:
                continue
            if len(distance) >= max_nodes:
                truncated = True
                break
            distance[v] = distance[u] + 1
            queue.append(v)
    return distance, truncated


def draw(found: Around, states: Mapping[CiId, str] | None = None) -> Picture:
    """Lay out the CIs ``found`` in columns (see the module docstring), coloured by ``states``
    (``"down"``/``"degraded"``, e.g. the centre's impact)."""
    graph, centre, depth, distance = found.graph, found.centre, found.depth, found.distance
    states = states or {}
    cis = graph.graph["cis"]
    column = _columns(graph, centre, distance, depth)
    columns: dict[int, list[CiId]] = {}
    for ci_id, c in column.items():
        columns.setdefault(c, []).append(ci_id)
    tallest = max(len(members) for members in columns.values())
    height = 2 * MARGIN + BOX_HEIGHT + (tallest - 1) * ROW_GAP
    left = min(columns)
    position: dict[CiId, tuple[float, float]] = {}
    for c, members in columns.items():
        members.sort(key=lambda m: (cis[m].name, str(m)))
        if c == 0:  # the centre in the middle of its column
            members.remove(centre)
            members.insert(len(members) // 2, centre)
        top = (height - (len(members) - 1) * ROW_GAP) / 2
        x = MARGIN + BOX_WIDTH / 2 + (c - left) * COLUMN_GAP
        for row, ci_id in enumerate(members):
            position[ci_id] = (round(x, 1), round(top + row * ROW_GAP, 1))
    width = 2 * MARGIN + BOX_WIDTH + (max(columns) - left) * COLUMN_GAP
    nodes = []
    for ci_id, d in distance.items():
        ci = cis[ci_id]
        state = states.get(ci_id)
        fill, stroke = STATE_COLOURS["centre" if d == 0 and state is None else state]
        nodes.append(
            Node(
                ci_id,
                ci.name,
                _short(ci.name),
                ci.ci_class,
                d,
                *position[ci_id],
                state,
                ci.status,
                ci.ci_class == BUSINESS_SERVICE,
                ci.redundancy.describe() if ci.redundancy else None,
                fill,
                stroke,
            )  # fmt: skip
        )
    edges = []
    for source, target in graph.subgraph(distance).edges():
        (x1, y1), (x2, y2) = position[source], position[target]
        x1, y1, x2, y2 = _shorten(x1, y1, x2, y2)
        edge = graph.edges[source, target]
        label = " / ".join(graph.graph["relation_types"][t].forward for t in edge["types"])
        hot = source in states and target in states and bool(edge["fwd"] or edge["bwd"])
        edges.append(
            Edge(
                source,
                target,
                edge["types"],
                label,
                x1,
                y1,
                x2,
                y2,
                *_label_at(x1, y1, x2, y2),
                hot,
            )
        )
    edges.sort(key=lambda e: (str(e.source), str(e.target)))
    nodes.sort(key=lambda n: (n.distance, n.name))
    return Picture(round(width, 1), round(height, 1), tuple(nodes), tuple(edges), found.truncated)


def _columns(
    graph: nx.DiGraph, centre: CiId, shown: Mapping[CiId, int], depth: int
) -> dict[CiId, int]:
    """Column of each shown CI: ``-d`` for what the centre needs, ``+d`` for what its failure
    reaches (``d`` hops along failure links), else one step nearer the centre than its
    nearest placed neighbour."""
    down = _reach(graph.graph["spreads_to"], centre, shown, depth)
    up = _reach(graph.graph["reached_from"], centre, shown, depth)
    column: dict[CiId, int] = {}
    for ci_id in shown:
        if ci_id in down:
            column[ci_id] = down[ci_id]
        elif ci_id in up:
            column[ci_id] = -up[ci_id]
    cis = graph.graph["cis"]
    for ci_id in sorted(shown, key=lambda c: (shown[c], cis[c].name, str(c))):
        if ci_id in column:
            continue
        around = [n for n in (*graph.successors(ci_id), *graph.predecessors(ci_id)) if n in column]
        nearest = min((column[n] for n in around), key=abs, default=0)
        column[ci_id] = nearest - (nearest > 0) + (nearest < 0)  # a peer: one step inwards
    return column


def _reach(
    hops: dict[CiId, tuple[tuple[CiId, int], ...]],
    centre: CiId,
    shown: Mapping[CiId, int],
    depth: int,
) -> dict[CiId, int]:
    """Breadth-first distances from ``centre`` along ``hops``, within the shown CIs."""
    found = {centre: 0}
    queue = deque([centre])
    while queue:
        u = queue.popleft()
        if found[u] == depth:
            continue
        for v, _ in hops.get(u, ()):
            if v in shown and v not in found:
                found[v] = found[u] + 1
                queue.append(v)
    return found


def _short(name: str, limit: int = 22) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"


def _shorten(x1: float, y1: float, x2: float, y2: float) -> tuple[float, ...]:
    """The segment between two node boxes, cut where it leaves the first box and enters the
    second, so arrow heads stay visible."""
    dx, dy = x2 - x1, y2 - y1
    length = math.hypot(dx, dy) or 1.0
    ux, uy = dx / length, dy / length
    half_w, half_h = BOX_WIDTH / 2 + 3, BOX_HEIGHT / 2 + 3
    by = min(half_w / abs(ux) if ux else math.inf, half_h / abs(uy) if uy else math.inf)
    if length <= 2 * by:
        return x1, y1, x2, y2
    return (
        round(x1 + ux * by, 1),
        round(y1 + uy * by, 1),
        round(x2 - ux * by, 1),
        round(y2 - uy * by, 1),
    )


def _label_at(x1: float, y1: float, x2: float, y2: float) -> tuple[float, float]:
    """Where an edge's label goes: a third of the way from its source, where edges that meet
    at one target are still apart."""
    return round(x1 + (x2 - x1) / 3, 1), round(y1 + (y2 - y1) / 3 - 4, 1)
