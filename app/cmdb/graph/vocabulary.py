"""The CMDB as a networkx graph: configuration items (CIs) and typed relations.

Pure code: standard library and networkx only, no Flask and no SQLAlchemy (STYLE rules 4 and 5).
A service layer turns rows into :class:`CI` and :class:`Relation` values, calls
:func:`build_graph` once per CMDB revision, and hands the graph to
:mod:`app.cmdb.impact.reference`, which answers what a failure hits, what a CI needs, and why.

Edge direction
--------------
A relation is stored the way it reads, ``source <forward name> target``. The graph has one edge
``source -> target`` per ordered pair, carrying every relation type between the two::

    Web shop <--provides-- shop-app --runs on--> vm-7 --runs on--> esx-cluster
    (business_service)                                               ^        ^
                                                          member of  |        |  member of
                                                                   esx-01   esx-02

Each :class:`RelationType` says which way a *failure* crosses its edges:

``TARGET_TO_SOURCE``
    the source needs the target: vm-7 down -> shop-app hit
    (depends on / used by, runs on / hosts, connected to: store "server connected to switch").
``SOURCE_TO_TARGET``
    the target is made of, or fed by, the source: shop-app down -> Web shop hit; esx-01 down ->
    esx-cluster hit, as far as the cluster's redundancy rule allows (member of / contains,
    provides / provided by).
``BOTH`` / ``NONE``
    either way, or never (informational links).

A hop read in the direction of a failure uses the forward name when the failure moves from
source to target and the reverse name otherwise: "esx-01 member of esx-cluster", "vm-7 hosts
shop-app".

Invariants of a graph built here: every node has a ``ci`` attribute (:class:`CI`), also found in
the plain dict ``graph.graph["cis"]`` that hot loops read; every edge has ``types`` (sorted
relation type names) and ``fwd``/``bwd``, how a failure crosses the edge from source to target
and from target to source (``NO``, ``PLAIN`` or ``MEMBER``); ``graph.graph["spreads_to"]`` and
``graph.graph["reached_from"]`` hold the same facts per CI in the direction of a failure; there
are no self-loops; cycles are allowed. The graph is read-only once built: rebuild it when the
CMDB changes. Nodes and edges are inserted in sorted order, so traversals (and therefore the
reported depths and paths) do not depend on the order rows came from the database.

The application answers impact questions on :mod:`app.cmdb.impact.index`, a compact index of the
same CMDB with the same answers, loaded per process by :mod:`app.cmdb.cache`; this graph is
built from it when a page needs networkx (layouts), and stays the reference the compact engine
is tested against.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # networkx loads on first build_graph, not at start-up (issue 20)
    import networkx as nx

CiId = int | str
"""A CI's primary key: ints or strings, one kind per graph (they are sorted)."""

BUSINESS_SERVICE = "business_service"
CI_CLASSES = (
    BUSINESS_SERVICE, "application", "database", "server", "virtual_machine", "container",
    "cluster", "load_balancer", "network_device", "storage", "workstation", "software",
)  # fmt: skip
"""The built-in classes; admins may add others, so the graph accepts any class name."""

# How a failure crosses an edge in one direction (edge attributes ``fwd`` and ``bwd``).
NO, PLAIN, MEMBER = 0, 1, 2


class Propagation(StrEnum):
    """The direction in which a failure travels along a relation type's edges."""

    TARGET_TO_SOURCE = "target_to_source"
    SOURCE_TO_TARGET = "source_to_target"
    BOTH = "both"
    NONE = "none"


class Lifecycle(StrEnum):
    """A CI's lifecycle status; :class:`ImpactOptions` says how the impact engine treats each."""

    PLANNED = "planned"
    IN_SERVICE = "in_service"
    IN_MAINTENANCE = "in_maintenance"
    RETIRED = "retired"


@dataclass(frozen=True)
class RelationType:
    """A kind of relation, as data: its names both ways and how a failure crosses it.

    ``membership`` marks member-to-group links (member of / contains): a failure arriving over
    such a link is weighed by the group's :class:`Redundancy` rule instead of passing straight on.
    """

    name: str
    forward: str
    reverse: str
    propagation: Propagation
    membership: bool = False

    def spreads(self, source_to_target: bool) -> int:
        """How a failure crosses an edge of this type in the given direction (NO/PLAIN/MEMBER)."""
        wanted = Propagation.SOURCE_TO_TARGET if source_to_target else Propagation.TARGET_TO_SOURCE
        if self.propagation not in (wanted, Propagation.BOTH):
            return NO
        return MEMBER if self.membership else PLAIN


DEFAULT_RELATION_TYPES: Mapping[str, RelationType] = MappingProxyType(
    {
        t.name: t
        for t in (
            RelationType("depends_on", "depends on", "used by", Propagation.TARGET_TO_SOURCE),
            RelationType("runs_on", "runs on", "hosts", Propagation.TARGET_TO_SOURCE),
            RelationType(
                "member_of", "member of", "contains", Propagation.SOURCE_TO_TARGET, membership=True
            ),
            RelationType(
                "connected_to", "connected to", "connected to", Propagation.TARGET_TO_SOURCE
            ),
            RelationType("provides", "provides", "provided by", Propagation.SOURCE_TO_TARGET),
        )
    }
)


@dataclass(frozen=True)
class Redundancy:
    """A group's rule: up while at least ``min_up`` members, or ``min_up_percent`` %, are up.

    Exactly one of the two is given. A percentage is rounded up to whole members: 50 % of 3
    members needs 2 up.

    :raise ValueError: neither or both given, ``min_up`` below 1, a percentage outside (0, 100].
    """

    min_up: int | None = None
    min_up_percent: float | None = None

    def __post_init__(self) -> None:
        if (self.min_up is None) == (self.min_up_percent is None):
            raise ValueError("a redundancy rule needs exactly one of min_up or min_up_percent")
        if self.min_up is not None and self.min_up < 1:
            raise ValueError(f"min_up must be at least 1, not {self.min_up}")
        if self.min_up_percent is not None and not 0 < self.min_up_percent <= 100:
            raise ValueError(f"min_up_percent must be in (0, 100], not {self.min_up_percent}")

    def required(self, members: int) -> int:
        """How many of ``members`` must be up for the group to be up."""
        if self.min_up is not None:
            return self.min_up
        assert self.min_up_percent is not None
        return math.ceil(round(members * self.min_up_percent / 100, 9))

    def describe(self) -> str:
        """The rule in words: "at least 2 up", "at least 50 % up"."""
        if self.min_up is not None:
            return f"at least {self.min_up} up"
        return f"at least {self.min_up_percent:g} % up"


@dataclass(frozen=True)
class CI:
    """A configuration item as the impact engine needs it.

    ``users`` is the number of people using a business service; ``user_ids``, when known, lets
    counts be de-duplicated across services (its size then replaces ``users``);
    ``assigned_user`` is the person using an end-user asset (workstation, laptop), in the same
    id space as ``user_ids``.

    :raise ValueError: an unknown lifecycle status or a negative number of users.
    """

    id: CiId
    name: str
    ci_class: str
    status: Lifecycle = Lifecycle.IN_SERVICE
    redundancy: Redundancy | None = None
    users: int = 0
    user_ids: frozenset[str] | None = None
    assigned_user: str | None = None

    def __post_init__(self) -> None:
        # Accept the plain strings a database row holds; refuse anything else early.
        object.__setattr__(self, "status", Lifecycle(self.status))
        if self.users < 0:
            raise ValueError(f"CI {self.id!r}: users cannot be negative ({self.users})")


@dataclass(frozen=True)
class Relation:
    """``source <type.forward> target``, e.g. ``Relation("app-1", "vm-7", "runs_on")``."""

    source: CiId
    target: CiId
    type: str


@dataclass(frozen=True)
class Path:
    """A chain of CIs a failure travelled along, with the relation read at each hop.

    ``relations[i]`` links ``ci_ids[i]`` to ``ci_ids[i + 1]`` in the direction of the failure,
    e.g. ``("san-01", "esx-01")`` with ``"used by"``.
    """

    ci_ids: tuple[CiId, ...]
    names: tuple[str, ...]
    relations: tuple[str, ...]

    def describe(self) -> str:
        """One line for people: ``san-01 -(used by)-> esx-01 -(member of)-> esx-cluster``."""
        parts = [self.names[0]]
        for relation, name in zip(self.relations, self.names[1:], strict=True):
            parts.append(f"-({relation})-> {name}")
        return " ".join(parts)


def sort_key(ci_id: CiId) -> tuple[str, Any]:
    """Orders CI ids, even ints mixed with strings; used wherever order must be deterministic."""
    return (type(ci_id).__name__, ci_id)


def build_graph(
    cis: Iterable[CI],
    relations: Iterable[Relation | tuple[CiId, CiId, str]],
    relation_types: Mapping[str, RelationType] = DEFAULT_RELATION_TYPES,
) -> nx.DiGraph:
    """Build the CMDB graph from plain CIs and ``(source, target, type)`` relations.

    The graph keeps ``relation_types`` in ``graph.graph["relation_types"]``; see the module
    docstring for the attributes and the edge convention. The graph is meant to be read only.
    For a large estate, pause the garbage collector while building and ``gc.freeze()`` the
    result (app/cmdb/cache.py does): collections over a big graph cost long pauses.

    :raise ValueError: a CI id given twice, a relation naming a missing CI or an unknown type, a
        self-relation, or the same ``(source, target, type)`` twice.
    """
    by_id: dict[CiId, CI] = {}
    for ci in cis:
        if ci.id in by_id:
            raise ValueError(f"CI {ci.id!r} is given twice")
        by_id[ci.id] = ci
    seen: set[tuple[CiId, CiId, str]] = set()
    for item in relations:
        source, target, type_name = (
            (item.source, item.target, item.type) if isinstance(item, Relation) else item
        )
        for end in (source, target):
            if end not in by_id:
                raise ValueError(f"relation {source!r} {type_name} {target!r}: no CI {end!r}")
        if type_name not in relation_types:
            raise ValueError(f"relation {source!r} {type_name} {target!r}: unknown relation type")
        if source == target:
            raise ValueError(f"CI {source!r} cannot be related to itself ({type_name})")
        if (source, target, type_name) in seen:
            raise ValueError(f"duplicate relation {source!r} {type_name} {target!r}")
        seen.add((source, target, type_name))

    import networkx as nx

    ordered = {ci_id: by_id[ci_id] for ci_id in _sorted(by_id, sort_key)}
    graph = nx.DiGraph(relation_types=MappingProxyType(dict(relation_types)), cis=ordered)
    graph.add_nodes_from((ci_id, {"ci": ci}) for ci_id, ci in ordered.items())
    types_by_edge: dict[tuple[CiId, CiId], tuple[str, ...]] = {}
    for source, target, type_name in _sorted(seen, _relation_key):
        types_by_edge[source, target] = (*types_by_edge.get((source, target), ()), type_name)
    spreads_to: dict[CiId, list[tuple[CiId, int]]] = {}
    reached_from: dict[CiId, list[tuple[CiId, int]]] = {}
    crossings: dict[tuple[str, ...], tuple[tuple[str, ...], int, int]] = {}
    for (source, target), names in types_by_edge.items():
        if names not in crossings:  # a handful of distinct type combinations: shared values
            kinds = [relation_types[n] for n in names]
            # PLAIN wins over MEMBER: a plain dependency is not softened by a redundancy rule.
            crossings[names] = (
                names,
                combine_kinds(t.spreads(True) for t in kinds),
                combine_kinds(t.spreads(False) for t in kinds),
            )
        names, fwd, bwd = crossings[names]
        graph.add_edge(source, target, types=names, fwd=fwd, bwd=bwd)
        for origin, reached, kind in ((source, target, fwd), (target, source, bwd)):
            if kind:
                spreads_to.setdefault(origin, []).append((reached, kind))
                reached_from.setdefault(reached, []).append((origin, kind))
    # Failure adjacency as plain tuples: estate-wide traversals read them about three times
    # faster than networkx's adjacency views.
    graph.graph["spreads_to"] = {ci_id: tuple(hops) for ci_id, hops in spreads_to.items()}
    graph.graph["reached_from"] = {ci_id: tuple(hops) for ci_id, hops in reached_from.items()}
    return graph


def _sorted(items: Iterable[Any], key: Callable[[Any], Any]) -> list[Any]:
    """Sorted plainly when ids are all of one kind (fast), by ``key`` when ints meet strings."""
    items = list(items)
    try:
        return sorted(items)
    except TypeError:
        return sorted(items, key=key)


def _relation_key(relation: tuple[CiId, CiId, str]) -> tuple[Any, ...]:
    return (sort_key(relation[0]), sort_key(relation[1]), relation[2])


def combine_kinds(kinds: Iterable[int]) -> int:
    """How a failure crosses an edge carrying several types one way: PLAIN wins over MEMBER."""
    found = set(kinds)
    return PLAIN if PLAIN in found else (MEMBER if MEMBER in found else NO)


def ci_of(graph: nx.DiGraph, ci_id: CiId) -> CI:
    """The :class:`CI` of a node. :raise ValueError: no such CI in the graph."""
    try:
        return graph.graph["cis"][ci_id]
    except KeyError:
        raise ValueError(f"no CI {ci_id!r} in the CMDB graph") from None


def failure_successors(graph: nx.DiGraph, ci_id: CiId) -> tuple[tuple[CiId, int], ...]:
    """``(neighbour, PLAIN | MEMBER)`` for every CI a failure of ``ci_id`` reaches in one hop."""
    return graph.graph["spreads_to"].get(ci_id, ())


def failure_predecessors(graph: nx.DiGraph, ci_id: CiId) -> tuple[tuple[CiId, int], ...]:
    """``(neighbour, PLAIN | MEMBER)`` for every CI whose failure reaches ``ci_id`` in one hop."""
    return graph.graph["reached_from"].get(ci_id, ())


def hop_name(graph: nx.DiGraph, origin: CiId, reached: CiId) -> str:
    """The relation read from ``origin`` to ``reached`` as a failure crosses it: "hosts"."""
    return _relation_names(graph, origin, reached, failure_from_first=True)


def need_name(graph: nx.DiGraph, needer: CiId, needed: CiId) -> str:
    """The relation read from a CI to one it needs: "runs on", "contains"."""
    return _relation_names(graph, needer, needed, failure_from_first=False)


def _relation_names(graph: nx.DiGraph, first: CiId, second: CiId, failure_from_first: bool) -> str:
    """Names of the types a failure crosses between two neighbours, read from ``first``.

    Only types that carry the failure in that direction count; several are joined with " and ".
    """
    types: Mapping[str, RelationType] = graph.graph["relation_types"]
    names: list[str] = []
    if graph.has_edge(first, second):
        names += [
            types[n].forward
            for n in graph.edges[first, second]["types"]
            if types[n].spreads(failure_from_first)
        ]
    if graph.has_edge(second, first):
        names += [
            types[n].reverse
            for n in graph.edges[second, first]["types"]
            if types[n].spreads(not failure_from_first)
        ]
    return " and ".join(dict.fromkeys(names))


def make_path(graph: nx.DiGraph, ci_ids: Iterable[CiId]) -> Path:
    """A :class:`Path` over consecutive CIs of the graph, read in the direction of a failure."""
    chain = tuple(ci_ids)
    return Path(
        ci_ids=chain,
        names=tuple(ci_of(graph, c).name for c in chain),
        relations=tuple(hop_name(graph, a, b) for a, b in zip(chain, chain[1:], strict=False)),
    )


class Treatment(StrEnum):
    """How the impact engine treats CIs of one lifecycle status."""

    NORMAL = "normal"
    ALREADY_DOWN = "already_down"
    IGNORED = "ignored"


@dataclass(frozen=True)
class ImpactOptions:
    """Admin-configurable treatment of lifecycle statuses, and a bound on the question's size.

    In-service CIs are always ``NORMAL``. The defaults: planned CIs are not live yet and retired
    ones no longer are, so both are ``IGNORED`` (a planned host does not add redundancy); CIs in
    maintenance are ``ALREADY_DOWN`` (they reduce redundancy). ``max_cis`` bounds the failing
    CIs of a what-if and the incident CIs of a root-cause question.

    :raise ValueError: ``max_cis`` below 1.
    """

    planned: Treatment = Treatment.IGNORED
    in_maintenance: Treatment = Treatment.ALREADY_DOWN
    retired: Treatment = Treatment.IGNORED
    max_cis: int = 1000

    def __post_init__(self) -> None:
        if self.max_cis < 1:
            raise ValueError(f"max_cis must be at least 1, not {self.max_cis}")

    def treatment(self, status: Lifecycle) -> Treatment:
        """The treatment of CIs with lifecycle ``status``."""
        if status == Lifecycle.IN_SERVICE:
            return Treatment.NORMAL
        if status == Lifecycle.IN_MAINTENANCE:
            return self.in_maintenance
        return self.retired if status == Lifecycle.RETIRED else self.planned


@dataclass(frozen=True)
class Dependency:
    """A CI that another needs, directly (depth 1) or through others.

    Reads "``needed_by`` ``relation`` ``ci_id``", e.g. "shop-app runs on vm-7".
    """

    ci_id: CiId
    name: str
    ci_class: str
    depth: int
    needed_by: CiId
    relation: str


def upstream(
    graph: nx.DiGraph, ci_id: CiId, options: ImpactOptions = ImpactOptions()
) -> tuple[Dependency, ...]:
    """Everything ``ci_id`` needs: each CI whose failure could reach it, nearest first.

    Redundancy is not weighed here: a cluster needs each of its members, if not all at once.
    ``IGNORED`` CIs are left out and not walked through.

    :raise ValueError: ``ci_id`` is not in the graph.
    """
    depth, needed_by = walk_needs(graph, ci_id, options)
    return tuple(
        Dependency(c, ci.name, ci.ci_class, depth[c], n, need_name(graph, n, c))
        for c, n in needed_by.items()
        if n is not None
        for ci in (graph.graph["cis"][c],)
    )


def walk_needs(
    graph: nx.DiGraph, ci_id: CiId, options: ImpactOptions
) -> tuple[dict[CiId, int], dict[CiId, CiId | None]]:
    """Breadth-first search against the failure direction, skipping ``IGNORED`` CIs.

    Returns each reached CI's depth and the next CI on its way to ``ci_id`` (``None`` for
    ``ci_id`` itself). :raise ValueError: ``ci_id`` is not in the graph.
    """
    ci_of(graph, ci_id)
    depth: dict[CiId, int] = {ci_id: 0}
    needed_by: dict[CiId, CiId | None] = {ci_id: None}
    queue = deque([ci_id])
    while queue:
        u = queue.popleft()
        for v, _ in failure_predecessors(graph, u):
            if v in depth:
                continue
            if options.treatment(graph.graph["cis"][v].status) is Treatment.IGNORED:
                continue
            depth[v], needed_by[v] = depth[u] + 1, u
            queue.append(v)
    return depth, needed_by


def towards(needed_by: Mapping[Any, Any], start: Any) -> tuple[Any, ...]:
    """The chain from ``start`` to where a needs-search began, along ``needed_by`` (from
    :func:`walk_needs`, ending in ``None``); read in the direction of a failure."""
    chain = [start]
    while (nxt := needed_by[chain[-1]]) is not None:
        chain.append(nxt)
    return tuple(chain)
