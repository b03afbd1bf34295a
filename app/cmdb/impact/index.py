"""A compact index of the CMDB graph for the hot path: dense ints and rows of flat arrays.

Pure code (numpy for the build, no Flask, no SQLAlchemy). :mod:`app.cmdb.impact.engine`
answers impact, what-if, upstream and root-cause questions on it with the same results as the
networkx engine of :mod:`app.cmdb.impact.reference`; its impact walks run in numpy over these
rows (:mod:`app.cmdb.impact.vector`, its per-CI flags kept in :attr:`CompactGraph.vectors`).

Why beside networkx
-------------------
The CMDB's graph is networkx (:func:`app.cmdb.graph.vocabulary.build_graph`): readable, and the
right tool for layouts, explanations and small subgraphs. At 100,000 CIs it also takes seconds to
build and over 200 MB per worker, most of it dictionaries per node and edge that the garbage
collector must scan. This index holds the same facts as a few flat arrays built straight from
plain rows: CI ids mapped to dense ints in the graph's sorted order, the failure adjacency in
both directions and the relations by source and by target as
:class:`~app.cmdb.impact.rows.Rows` (row ``u`` is a window of columns ``nb``, ``kind``,
``label``...: built in CSR order, and a patch moves the rows it rewrites without copying the
others, :mod:`app.cmdb.impact.patch`), and per-CI columns. Measured at 100,000 CIs
(bench/cmdb_estate.py): about 1 s to load from PostgreSQL and 75 MB, against 2.3 s and
215 MB for the networkx graph built from ready ``CI`` objects, with no per-edge objects for
the collector. The networkx graph is built from it on demand (:meth:`CompactGraph.to_networkx`).

Same facts, same order
----------------------
Dense ints follow the networkx graph's node order, and each failure row lists the CIs a failure
reaches (or comes from) in the order of ``graph.graph["spreads_to"]`` (and ``reached_from``):
one entry per edge, so a pair related both ways may appear twice. ``kind`` is ``MEMBER`` only
when the reached CI has a redundancy rule (only then does the engine weigh a membership link),
else ``PLAIN``. ``label`` indexes :attr:`CompactGraph.labels`, the relation names a path reads
at that hop (:func:`app.cmdb.graph.vocabulary.hop_name`,
:func:`~app.cmdb.graph.vocabulary.need_name`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import compress, repeat
from operator import is_not
from types import MappingProxyType
from typing import Any, NamedTuple

import numpy as np

from app.cmdb.graph.vocabulary import (
    BUSINESS_SERVICE,
    CI,
    DEFAULT_RELATION_TYPES,
    MEMBER,
    CiId,
    ImpactOptions,
    Lifecycle,
    Path,
    Redundancy,
    RelationType,
    Treatment,
    build_graph,
)
from app.cmdb.impact.build import (
    encode_relations,
    failure_adjacency,
    graph_order,
    make_index,
)
from app.cmdb.impact.rows import Rows

STATUSES = (Lifecycle.IN_SERVICE, Lifecycle.PLANNED, Lifecycle.IN_MAINTENANCE, Lifecycle.RETIRED)
_STATUS_CODE = {status: code for code, status in enumerate(STATUSES)}  # str keys match too
IGNORED = 3
"""The mark of an ignored CI in :meth:`CompactGraph.ignored`: above any impact state, so a
state array started from the mask never lets a failure into an ignored CI."""


def mask_table(key: tuple[Treatment, Treatment, Treatment, Treatment]) -> bytes:
    """Status code → mask byte of :meth:`CompactGraph._mask` for ``(treatment, planned,
    in_maintenance, retired)``."""
    treatment, planned, in_maintenance, retired = key
    options = ImpactOptions(planned=planned, in_maintenance=in_maintenance, retired=retired)
    table = bytearray(256)
    for code, status in enumerate(STATUSES):
        table[code] = IGNORED if options.treatment(status) is treatment else 0
    return bytes(table)


Row = tuple[CiId, str, str, str, Redundancy | None, int, str | None]
"""A CI as a plain row: ``(id, name, class, status, redundancy, users, assigned_user)``."""


class CompactGraph:
    """The CMDB's CIs and failure adjacency as flat arrays; read-only once built.

    Build it with :func:`build_compact` (plain rows) or :func:`compact_from_cis`.
    """

    __slots__ = (
        "ids", "index", "names", "classes", "status", "rules", "users", "user_ids",
        "assigned", "services", "relation_types", "labels",
        "out", "in_", "pairs", "pairs_in", "combos", "_masks", "_members", "vectors",
    )  # fmt: skip
    ids: Sequence[CiId]
    index: Mapping[CiId, int]
    names: Sequence[str]
    classes: Sequence[str]
    status: bytes
    rules: dict[int, Redundancy]
    users: dict[int, int]
    user_ids: dict[int, frozenset[str]]
    assigned: dict[int, str]
    services: frozenset[int]
    relation_types: Mapping[str, RelationType]
    labels: tuple[str, ...]
    combos: tuple[tuple[str, ...], ...]
    out: Rows
    """What a failure of each CI reaches: columns ``nb`` (the CI), ``kind``, ``label``."""
    in_: Rows
    """Where a failure into each CI comes from: ``nb``, ``kind``, ``label`` and ``to_out``
    (the same link's position in :attr:`out`'s store)."""
    pairs: Rows
    """Each CI's relations as source: ``nb`` (the target, ascending) and ``combo`` (the types,
    an index of :attr:`combos`)."""
    pairs_in: Rows
    """Each CI's relations as target: ``nb`` (the source, ascending) and ``combo``."""
    vectors: Any
    """:class:`app.cmdb.impact.vector.Vectors`, made by the first question or by a patch."""

    def __init__(self, **fields: Any) -> None:
        for name in self.__slots__:
            setattr(self, name, fields.pop(name, None))
        if fields:
            raise TypeError(f"unknown fields: {sorted(fields)}")
        self._masks: dict[tuple[Treatment, ...], bytes] = {}
        self._members: dict[int, tuple[tuple[int, ...], tuple[int, ...]]] = {}
        # ``vectors``: app.cmdb.impact.vector.Vectors (made by the first question, or a patch)

    def __len__(self) -> int:
        return len(self.ids)

    def __contains__(self, ci_id: object) -> bool:
        try:
            return ci_id in self.index
        except TypeError:  # unhashable: no CI id
            return False

    def node(self, ci_id: CiId) -> int:
        """The dense int of a CI. :raise ValueError: no such CI (networkx engine's message)."""
        try:
            return self.index[ci_id]
        except (KeyError, TypeError):
            raise ValueError(f"no CI {ci_id!r} in the CMDB graph") from None

    def ignored(self, options: ImpactOptions) -> bytes:
        """One byte per CI: :data:`IGNORED` where ``options`` say to ignore it, else 0."""
        return self._mask(options, Treatment.IGNORED)

    def already_down(self, options: ImpactOptions) -> bytes:
        """One byte per CI: :data:`IGNORED` (non-zero) where ``options`` count it as down."""
        return self._mask(options, Treatment.ALREADY_DOWN)

    def _mask(self, options: ImpactOptions, treatment: Treatment) -> bytes:
        key = (treatment, options.planned, options.in_maintenance, options.retired)
        mask = self._masks.get(key)
        if mask is None:  # a race only computes the same bytes twice
            mask = self._masks[key] = self.status.translate(mask_table(key))
        return mask

    def patch_masks(self, old: CompactGraph, nodes: list[int]) -> None:
        """Make the masks ``old`` made (:meth:`ignored`...) for this patch of it, in which the
        CIs ``nodes`` (and only they) changed or were added: a copy, not a pass over every
        status."""
        for key, mask in old._masks.items():
            table, status = mask_table(key), self.status
            found = bytearray(mask)
            found.extend(bytes(len(status) - len(mask)))
            for node in nodes:
                found[node] = table[status[node]]
            self._masks[key] = bytes(found)

    def members(self, group: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """A group's members over membership links, and those of them not in service."""
        found = self._members.get(group)
        if found is None:
            entries = zip(self.in_.row("nb", group), self.in_.row("kind", group), strict=True)
            every = tuple(m for m, k in entries if k == MEMBER)
            found = self._members[group] = (every, tuple(m for m in every if self.status[m]))
        return found

    def ci(self, node: int) -> CI:
        """The :class:`CI` of a dense int (built on demand)."""
        return CI(
            id=self.ids[node],
            name=self.names[node],
            ci_class=self.classes[node],
            status=STATUSES[self.status[node]],
            redundancy=self.rules.get(node),
            users=self.users.get(node, 0),
            user_ids=self.user_ids.get(node),
            assigned_user=self.assigned.get(node),
        )

    def relations(self) -> Iterator[tuple[CiId, CiId, str]]:
        """Every relation as ``(source id, target id, type)``, including non-propagating ones."""
        ids, combos = self.ids, self.combos
        for s, t, c in zip(*(a.tolist() for a in self.pair_arrays()), strict=True):
            for type_name in combos[c]:
                yield ids[s], ids[t], type_name

    def out_row(self, node: int) -> list[int]:
        """The CIs a failure of ``node`` reaches, one per link (see the module docstring)."""
        return self.out.row("nb", node)

    def in_row(self, node: int) -> list[int]:
        """The CIs whose failure reaches ``node``, one per link."""
        return self.in_.row("nb", node)

    def pair_row(self, node: int) -> tuple[list[int], list[int]]:
        """``node``'s relations as source: the targets (ascending) and their combinations."""
        return self.pairs.row("nb", node), self.pairs.row("combo", node)

    def pair_arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every relation as three arrays, sorted by source then target: sources, targets
        and combinations (for code that reads them all: the networkx graph, the relations no
        failure crosses)."""
        at, sources = self.pairs.every()
        return sources, self.pairs.column("nb")[at], self.pairs.column("combo")[at]

    def to_networkx(self) -> Any:
        """The same CMDB as :func:`app.cmdb.graph.vocabulary.build_graph` builds it (slow at
        scale)."""
        cis = map(self.ci, range(len(self.ids)))
        return build_graph(cis, self.relations(), self.relation_types)

    def hop_label(self, origin: int, reached: int) -> str:
        """The relation read as a failure crosses from ``origin`` to ``reached``: "hosts"."""
        return self._label(self.out, origin, reached)

    def need_label(self, needer: int, needed: int) -> str:
        """The relation read from a CI to one it needs: "runs on"."""
        return self._label(self.in_, needer, needed)

    def _label(self, rows: Rows, node: int, other: int) -> str:
        begin, _ = rows.window(node)
        at = begin + rows.row("nb", node).index(other)
        return self.labels[int(rows.column("label")[at])]

    def path(self, chain: Iterable[int]) -> Path:
        """A :class:`Path` over consecutive dense ints, read in the direction of a failure."""
        nodes = tuple(chain)
        ids, names = self.ids, self.names
        return Path(
            ci_ids=tuple(ids[n] for n in nodes),
            names=tuple(names[n] for n in nodes),
            relations=tuple(map(self.hop_label, nodes, nodes[1:])),
        )


class Columns(NamedTuple):
    """CIs column by column, as a query returns them: position ``i`` of each list is one CI.

    ``rules``, ``assigned`` (a CI's assigned user) and ``user_ids`` (a service's users) are
    sparse, by CI id. ``statuses`` are :class:`~app.cmdb.graph.vocabulary.Lifecycle` values.
    """

    ids: Sequence[CiId]
    names: Sequence[str]
    classes: Sequence[str]
    statuses: Sequence[str]
    users: Sequence[int]
    rules: Mapping[CiId, Redundancy]
    assigned: Mapping[CiId, str]
    user_ids: Mapping[CiId, frozenset[str]]


def compact_from_cis(
    cis: Iterable[CI],
    relations: Iterable[Any],
    relation_types: Mapping[str, RelationType] = DEFAULT_RELATION_TYPES,
) -> CompactGraph:
    """The index of the graph :func:`~app.cmdb.graph.vocabulary.build_graph` would build from
    these."""
    cis = list(cis)
    rows = [
        (c.id, c.name, c.ci_class, c.status, c.redundancy, c.users, c.assigned_user) for c in cis
    ]
    user_ids = {c.id: c.user_ids for c in cis if c.user_ids is not None}
    triples = [(r.source, r.target, r.type) if hasattr(r, "type") else r for r in relations]
    return build_compact(rows, triples, relation_types, user_ids)


def build_compact(
    rows: Iterable[Row],
    relations: Iterable[tuple[CiId, CiId, str]],
    relation_types: Mapping[str, RelationType] = DEFAULT_RELATION_TYPES,
    user_ids: Mapping[CiId, frozenset[str]] | None = None,
) -> CompactGraph:
    """Build the index from plain rows (see :data:`Row`) and ``(source, target, type)`` triples.

    :raise ValueError: see :func:`compact_from_columns`.
    """
    rows = list(rows)
    ids, names, classes, statuses, rules, users, assigned = (
        zip(*rows, strict=True) if rows else ((),) * 7
    )
    columns = Columns(
        ids,
        names,
        classes,
        statuses,
        users,
        dict(compress(zip(ids, rules, strict=True), rules)),
        dict(compress(zip(ids, assigned, strict=True), map(is_not, assigned, repeat(None)))),
        user_ids or {},
    )
    return compact_from_columns(columns, relations, relation_types)


def compact_from_columns(
    columns: Columns,
    relations: Iterable[tuple[CiId, CiId, str]],
    relation_types: Mapping[str, RelationType] = DEFAULT_RELATION_TYPES,
) -> CompactGraph:
    """Build the index from CI columns and ``(source, target, type)`` triples.

    Pause the garbage collector while building a large one and ``gc.freeze()`` it afterwards
    (:mod:`app.cmdb.cache` does).

    :raise ValueError: as :func:`~app.cmdb.graph.vocabulary.build_graph` (a CI given twice, an
        unknown status, a relation naming a missing CI or an unknown type, a self-relation, a
        duplicate; duplicates are reported after the other faults).
    """
    ids, names, classes, statuses, users = (list(c) for c in columns[:5])
    n = len(ids)
    order = graph_order(ids)
    if order is not None:  # rows out of order: put every column in the graph's order
        ids, names, classes, statuses, users = (
            list(map(c.__getitem__, order)) for c in (ids, names, classes, statuses, users)
        )
    index = make_index(ids)
    try:
        status = bytes(map(_STATUS_CODE.__getitem__, statuses))
    except KeyError as error:
        raise ValueError(f"{error.args[0]!r} is not a valid Lifecycle") from None
    if min(users, default=0) < 0:
        bad = next(ids[i] for i, u in enumerate(users) if u < 0)
        raise ValueError(f"CI {bad!r}: users cannot be negative")
    sparse = [
        {index[k]: v for k, v in column.items() if k in index}
        for column in (columns.rules, columns.assigned, columns.user_ids)
    ]
    types = MappingProxyType(dict(relation_types))
    pairs, combos, pair_combo = encode_relations(ids, index, relations, sorted(types))
    src, dst = np.divmod(pairs, n or 1)
    rules = sparse[0]
    has_rule = np.zeros(n, dtype=bool)
    has_rule[list(rules)] = True
    adjacency = failure_adjacency(
        n, src, dst, pair_combo, [[types[t] for t in c] for c in combos], has_rule
    )
    graph = CompactGraph(
        ids=ids,
        index=index,
        names=names,
        classes=classes,
        status=status,
        rules=rules,
        users=dict(compress(enumerate(users), users)),
        user_ids=sparse[2],
        assigned=sparse[1],
        services=frozenset(i for i, c in enumerate(classes) if c == BUSINESS_SERVICE),
        relation_types=types,
        combos=tuple(combos),
        labels=adjacency["labels"],
        **adjacency_rows(adjacency),
        **pair_rows(n, src, dst, pair_combo),
    )
    return graph


def adjacency_rows(adjacency: Mapping[str, Any]) -> dict[str, Rows]:
    """The failure adjacency of :func:`~app.cmdb.impact.build.failure_adjacency` as
    :class:`~app.cmdb.impact.rows.Rows` (``out``, ``in_``)."""
    out = {c: adjacency[f"out_{c}"] for c in ("nb", "kind", "label")}
    into = {c: adjacency[f"in_{c}"] for c in ("nb", "kind", "label")}
    into["to_out"] = adjacency["in_to_out"]
    return {
        "out": Rows.from_csr(adjacency["out_start"], out),
        "in_": Rows.from_csr(adjacency["in_start"], into),
    }


def pair_rows(n: int, src: np.ndarray, dst: np.ndarray, combo: np.ndarray) -> dict[str, Rows]:
    """The relations (pairs sorted by source, then target) by source and by target."""
    by_target = np.argsort(dst, kind="stable")  # sorted by target, then source
    found = {}
    for name, rows, other, order in (
        ("pairs", src, dst, None),
        ("pairs_in", dst, src, by_target),
    ):
        start = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=n), out=start[1:])
        columns = {
            "nb": (other if order is None else other[order]).astype(np.int32),
            "combo": (combo if order is None else combo[order]).astype(np.uint16),
        }
        found[name] = Rows.from_csr(start, columns)
    return found
