"""Patching a compact index (:mod:`app.cmdb.impact.index`) after a few CIs changed.

Pure code (numpy, no Flask, no SQLAlchemy). Building the index of a million CIs takes seconds;
an edit touches a handful of CIs and the rows of their neighbours. :func:`patch` takes the old
index, the CIs that changed (all their fields, as they are now) and every relation that touches
them, and returns a new index equal, answer for answer, to one built from scratch, **without
copying what did not change**:

* the relations of the changed CIs and of every CI at the other end of one of them (before or
  after) are read from the old index, those touching the changed CIs replaced by the given
  ones, and these CIs' relation rows (by source and by target) written anew;
* their failure rows both ways are built again by
  :func:`~app.cmdb.impact.build.failure_adjacency` from all the relations touching them (a rule
  changed on a CI changes the kind of links into it), and the reverse rows of the CIs their
  failure reaches get the new positions of their links (``to_out``);
* rows are replaced in the stores the versions share (:meth:`~app.cmdb.impact.rows.Rows.replaced`:
  appended, the old rows left for the old index); per-CI columns are the old ones with the
  changed values laid over them (:class:`Layered`, :class:`Overlay`, :class:`Added`), and
  the search flags (:class:`~app.cmdb.impact.vector.Vectors`) are copied (a byte per CI) and
  set for the changed CIs.

The old index is not changed (other threads may be answering on it). What a patch cannot do,
it leaves to a rebuild (:func:`patch` returns ``None``): removing a CI (every later dense int
would move), adding one whose id is not above all others (dense ints follow the ids' order), or
writing more rows than the stores have room for. Relation labels and type combinations only
grow until the next rebuild; their codes are never read outside the index.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import chain
from typing import Any, cast

import numpy as np

from app.cmdb.graph.vocabulary import BUSINESS_SERVICE, CiId
from app.cmdb.impact.build import DenseIndex, encode_relations, failure_adjacency
from app.cmdb.impact.index import _STATUS_CODE, Columns, CompactGraph
from app.cmdb.impact.rows import Rows
from app.cmdb.impact.vector import _RULE

FOLD_AT = 10_000
"""Values laid over a per-CI column from which a patch makes a plain list or dict again."""
_GONE, _MISSING = object(), object()


def patch(
    graph: CompactGraph,
    columns: Columns,
    relations: Iterable[tuple[CiId, CiId, str]],
    changed: Iterable[CiId],
) -> CompactGraph | None:
    """The index after the CIs ``changed`` changed: ``columns`` holds those of them that still
    exist, with all their fields; ``relations`` every relation that touches one of them
    (others are ignored).

    :return: ``None`` when a rebuild is needed (a CI removed, a new CI id not above the
        others, ids that are not ints, the shared stores full).
    :raise ValueError: bad rows or relations, as
        :func:`~app.cmdb.impact.index.compact_from_columns` refuses them.
    """
    given = list(columns.ids)
    changed = set(changed).union(given)
    if any(c in graph and c not in given for c in changed) or len(set(given)) != len(given):
        return None
    new_ids = sorted(c for c in given if c not in graph)
    if not all(type(c) is int for c in new_ids):
        return None
    added = cast(list[int], new_ids)
    if added and not _appendable(graph, added):
        return None
    n = len(graph) + len(added)
    index = _extended_index(graph, added)
    if index is None:
        return None
    ids = layered(graph.ids, dict(zip(range(len(graph), n), added, strict=True)), n)
    fields = _columns(graph, columns, [index[c] for c in given], n)
    changed = {c for c in changed if c in index}  # not those made and removed since
    nodes = np.asarray(sorted(index[c] for c in changed), dtype=np.int64)

    triples = [r for r in relations if r[0] in changed or r[1] in changed]
    type_names = sorted(graph.relation_types)
    keys, local_combos, local_codes = encode_relations(
        cast(list[CiId], ids), index, triples, type_names
    )
    combos = list(graph.combos)
    known = {combo: j for j, combo in enumerate(combos)}
    for combo in local_combos:
        if known.setdefault(combo, len(combos)) == len(combos):
            combos.append(combo)
    to_global = np.asarray([known[c] for c in local_combos] or [0], dtype=np.int64)
    new_src, new_dst = np.divmod(keys, n or 1)
    new_combo = to_global[local_codes]

    # The CIs whose rows change: the changed ones and their partners before and after.
    is_changed = np.zeros(n, dtype=bool)
    is_changed[nodes] = True
    old = nodes[nodes < len(graph)]
    at, _ = graph.pairs.entries(old)
    before = graph.pairs.column("nb")[at]
    at, _ = graph.pairs_in.entries(old)
    before_in = graph.pairs_in.column("nb")[at]
    rows = np.unique(np.concatenate((nodes, before, before_in, new_src, new_dst)))
    rows = rows.astype(np.int64)
    pairs = _pair_rows(graph.pairs, rows, n, is_changed, (new_src, new_dst, new_combo))
    pairs_in = _pair_rows(graph.pairs_in, rows, n, is_changed, (new_dst, new_src, new_combo))
    if pairs is None or pairs_in is None:
        return None

    # Their failure rows, built on the CIs of the relations touching them, numbered in the
    # same order: O(relations touched), not O(CIs).
    at, src = pairs.entries(rows)
    dst = pairs.column("nb")[at].astype(np.int64)
    combo = pairs.column("combo")[at]
    at, dst_in = pairs_in.entries(rows)
    src_in = pairs_in.column("nb")[at].astype(np.int64)
    combo_in = pairs_in.column("combo")[at]
    every, first = np.unique(
        np.concatenate((src * n + dst, src_in * n + dst_in)), return_index=True
    )
    every_src, every_dst = np.divmod(every, n)
    every_combo = np.concatenate((combo, combo_in))[first].astype(np.int64)
    local = np.unique(np.concatenate((every_src, every_dst, rows)))
    has_rule = _has_rule(graph, fields["rules"], local, nodes)
    types = graph.relation_types
    adjacency = failure_adjacency(
        len(local),
        np.searchsorted(local, every_src).astype(np.int64),
        np.searchsorted(local, every_dst).astype(np.int64),
        every_combo,
        [[types[t] for t in c] for c in combos],
        has_rule,
        {label: j for j, label in enumerate(graph.labels)},
    )
    mine = np.searchsorted(local, rows)
    out = _failure_rows(graph.out, adjacency, "out", rows, mine, local, n)
    if out is None:
        return None
    into = _reverse_rows(graph, adjacency, out, rows, mine, local, n)
    if into is None:
        return None
    patched = CompactGraph(
        ids=ids,
        index=index,
        relation_types=types,
        labels=adjacency["labels"],
        combos=tuple(combos),
        out=out,
        in_=into,
        pairs=pairs,
        pairs_in=pairs_in,
        **fields,
    )
    patched.patch_masks(graph, nodes.tolist())
    if graph.vectors is not None:
        # The groups whose numbers may change: those whose relations were rewritten (a member
        # changed, came or went) or whose rule changed; all of them are among ``rows``.
        patched.vectors = graph.vectors.patched(patched, nodes.tolist(), rows)
    return patched


def _has_rule(
    graph: CompactGraph, rules: Mapping[int, Any], local: np.ndarray, changed: np.ndarray
) -> np.ndarray:
    """Which of the CIs ``local`` have a redundancy rule: read from the old graph's search
    flags when it has them, and from ``rules`` for the ``changed`` CIs."""
    flags = graph.vectors.flags if graph.vectors is not None else None
    if flags is None:
        return np.fromiter(map(rules.__contains__, local.tolist()), dtype=bool, count=len(local))
    found = np.zeros(len(local), dtype=bool)
    old = local < len(flags)
    found[old] = (flags[local[old]] & _RULE) != 0
    at = np.searchsorted(local, changed)
    found[at] = [node in rules for node in changed.tolist()]
    return found


def _pair_rows(
    old: Rows,
    rows: np.ndarray,
    n: int,
    is_changed: np.ndarray,
    new: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> Rows | None:
    """Relation rows (by source, or by target) with ``rows`` rewritten: their old relations
    that touch no changed CI, and the ``new`` ones (row, other end, combination), sorted by
    the other end."""
    at, row = old.entries(rows[rows < old.n])
    other = old.column("nb")[at].astype(np.int64)
    keep = ~is_changed[row] & ~is_changed[other]
    row = np.concatenate((row[keep], new[0]))
    other = np.concatenate((other[keep], new[1]))
    combo = np.concatenate((old.column("combo")[at][keep], new[2].astype(np.uint16)))
    order = np.argsort(row * n + other, kind="stable")
    lengths = np.bincount(np.searchsorted(rows, row), minlength=len(rows))
    values = {"nb": other[order].astype(np.int32), "combo": combo[order]}
    return old.replaced(n, rows, lengths, values)


def _failure_rows(
    old: Rows,
    adjacency: Mapping[str, Any],
    side: str,
    rows: np.ndarray,
    mine: np.ndarray,
    local: np.ndarray,
    n: int,
) -> Rows | None:
    """``old`` with ``rows`` taken from the local ``adjacency`` (its rows ``mine``)."""
    start = adjacency[f"{side}_start"]
    at = _ranges(start[mine], start[mine + 1])
    values = {
        "nb": local[adjacency[f"{side}_nb"][at]].astype(np.int32),
        "kind": adjacency[f"{side}_kind"][at],
        "label": adjacency[f"{side}_label"][at],
    }
    return old.replaced(n, rows, start[mine + 1] - start[mine], values)


def _reverse_rows(
    graph: CompactGraph,
    adjacency: Mapping[str, Any],
    out: Rows,
    rows: np.ndarray,
    mine: np.ndarray,
    local: np.ndarray,
    n: int,
) -> Rows | None:
    """The reverse rows: ``rows`` from the local ``adjacency``, and those of the CIs the
    failure of ``rows`` reaches as they were, each entry with the position of its link in
    ``out`` found again. The k-th entry from ``t`` in the reverse row of ``h`` is the k-th
    entry to ``h`` in the row of ``t`` (both list a pair's entries in pair order)."""
    at, _ = out.entries(rows)
    heads = np.unique(out.column("nb")[at].astype(np.int64))
    heads = heads[rows[np.minimum(np.searchsorted(rows, heads), len(rows) - 1)] != heads]
    old = graph.in_
    at, _ = old.entries(heads)
    start = adjacency["in_start"]
    new_at = _ranges(start[mine], start[mine + 1])
    every = np.concatenate((rows, heads))
    order = np.argsort(every, kind="stable")
    begin, end = old.windows(heads)
    lengths = np.concatenate((start[mine + 1] - start[mine], end - begin))
    parts = {
        "nb": (local[adjacency["in_nb"][new_at]].astype(np.int32), old.column("nb")[at]),
        "kind": (adjacency["in_kind"][new_at], old.column("kind")[at]),
        "label": (adjacency["in_label"][new_at], old.column("label")[at]),
    }
    # Put the rows in node order (the windows do not need it; the stores read better so).
    offsets = np.concatenate(([0], np.cumsum(lengths)))
    gather = _ranges(offsets[order], offsets[order + 1])
    values = {name: np.concatenate(pair)[gather] for name, pair in parts.items()}
    every, lengths = every[order], lengths[order]
    values["to_out"] = _links(out, every, lengths, values["nb"].astype(np.int64), n)
    return old.replaced(n, every, lengths, values)


def _links(out: Rows, heads: np.ndarray, lengths: np.ndarray, tails: np.ndarray, n: int) -> Any:
    """For reverse entries (``tails`` in rows ``heads`` of ``lengths`` entries), the
    position of each one's link in ``out``."""
    head = np.repeat(heads, lengths)
    keys = head * n + tails
    order = np.argsort(keys, kind="stable")
    wanted = keys[order]
    at, tail = out.entries(np.unique(tails))
    out_keys = out.column("nb")[at].astype(np.int64) * n + tail
    out_order = np.argsort(out_keys, kind="stable")
    found = np.searchsorted(out_keys[out_order], wanted) + _ranks(wanted)
    links = np.empty(len(keys), dtype=np.int32)
    links[order] = at[out_order[found]]
    return links


def _appendable(graph: CompactGraph, added: list[int]) -> bool:
    """New CIs keep the graph's order when appended: ids above every id it has."""
    last = graph.ids[-1] if len(graph) else None
    return last is None or (type(last) is int and added[0] > last)


def _extended_index(graph: CompactGraph, added: list[int]) -> Any:
    """The graph's id → dense int mapping with the ``added`` CIs appended (:class:`Added`), or
    ``None`` when a flat table would grow too sparse (a rebuild picks the right kind)."""
    n = len(graph)
    old = graph.index
    if not added:
        return old
    base = old.base if isinstance(old, Added) else old
    if isinstance(base, DenseIndex) and added[-1] >= 4 * (n + len(added)):
        return None
    more = dict(old.added) if isinstance(old, Added) else {}
    more.update(zip(added, range(n, n + len(added)), strict=True))
    return Added(base, more)


class Added(Mapping[CiId, int]):
    """An id → dense int mapping as built (``base``) with the CIs patches appended."""

    __slots__ = ("base", "added")

    def __init__(self, base: Mapping[CiId, int], added: dict[CiId, int]) -> None:
        self.base, self.added = base, added

    def __getitem__(self, ci_id: CiId) -> int:
        found = self.added.get(ci_id)
        return self.base[ci_id] if found is None else found

    def __iter__(self) -> Iterator[CiId]:
        return chain(self.base, self.added)

    def __len__(self) -> int:
        return len(self.base) + len(self.added)


class Layered(Sequence[Any]):
    """A per-CI column as built (``base``) with the values patches changed or appended."""

    __slots__ = ("base", "changes", "size")

    def __init__(self, base: Sequence[Any], changes: dict[int, Any], size: int) -> None:
        self.base, self.changes, self.size = base, changes, size

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(self.size))]
        if i < 0:
            i += self.size
        if not 0 <= i < self.size:
            raise IndexError("index out of range")
        found = self.changes.get(i, _GONE)
        return self.base[i] if found is _GONE else found

    def __iter__(self) -> Iterator[Any]:
        changes, base = self.changes, self.base
        for i in range(self.size):
            found = changes.get(i, _GONE)
            yield base[i] if found is _GONE else found

    def __len__(self) -> int:
        return self.size


def layered(old: Sequence[Any], changes: dict[int, Any], size: int) -> Sequence[Any]:
    """``old`` (``size`` long now) with ``changes`` laid over it."""
    if not changes and len(old) == size:
        return old
    base, merged = (
        (old.base, {**old.changes, **changes}) if isinstance(old, Layered) else (old, changes)
    )
    if len(merged) > FOLD_AT:
        return list(Layered(base, merged, size))
    return Layered(base, merged, size)


class Overlay(Mapping[int, Any]):
    """A sparse per-CI mapping as built (``base``) with the entries patches set or removed."""

    __slots__ = ("base", "changes", "_size")

    def __init__(self, base: Mapping[int, Any], changes: dict[int, Any], size: int) -> None:
        self.base, self.changes, self._size = base, changes, size

    def __getitem__(self, key: int) -> Any:
        found = self.changes.get(key, _MISSING)
        if found is _MISSING:
            return self.base[key]
        if found is _GONE:
            raise KeyError(key)
        return found

    def __contains__(self, key: object) -> bool:
        try:
            found = self.changes.get(key, _MISSING)  # type: ignore[call-overload]
        except TypeError:  # unhashable
            return False
        return key in self.base if found is _MISSING else found is not _GONE

    def __iter__(self) -> Iterator[int]:
        changes = self.changes
        yield from (k for k in self.base if k not in changes)
        yield from (k for k, v in changes.items() if v is not _GONE)

    def __len__(self) -> int:
        return self._size


def overlaid(old: Mapping[int, Any], changes: dict[int, Any]) -> Mapping[int, Any]:
    """``old`` with ``changes`` (a value, or ``_GONE`` to remove the key) laid over it."""
    base, merged = (
        (old.base, {**old.changes, **changes}) if isinstance(old, Overlay) else (old, changes)
    )
    if len(merged) > FOLD_AT:
        return dict(Overlay(base, merged, 0).items())
    size = len(base)
    for key, value in merged.items():
        size += (value is not _GONE) - (key in base)
    return Overlay(base, merged, size)


def _columns(graph: CompactGraph, columns: Columns, at: list[int], n: int) -> dict[str, Any]:
    """The per-CI fields of the index with the given CIs (at dense ints ``at``) replaced,
    ``n`` CIs in all."""
    names: dict[int, Any] = {}
    classes: dict[int, Any] = {}
    status = bytearray(graph.status)
    status.extend(bytes(n - len(graph)))
    users: dict[int, Any] = {}
    services = set(graph.services)
    sparse: list[tuple[dict[int, Any], Mapping[CiId, Any]]] = [({}, columns.rules),
                                                              ({}, columns.assigned),
                                                              ({}, columns.user_ids)]  # fmt: skip
    for node, ci_id, name, ci_class, state, count in zip(at, *columns[:5], strict=True):
        try:
            status[node] = _STATUS_CODE[state]
        except KeyError:
            raise ValueError(f"{state!r} is not a valid Lifecycle") from None
        if count < 0:
            raise ValueError(f"CI {ci_id!r}: users cannot be negative")
        names[node], classes[node] = name, ci_class
        for changes, by_id in sparse:
            changes[node] = by_id.get(ci_id, _GONE)
        users[node] = count or _GONE
        services.discard(node)
        if ci_class == BUSINESS_SERVICE:
            services.add(node)
    return {
        "names": layered(graph.names, names, n),
        "classes": layered(graph.classes, classes, n),
        "status": bytes(status),
        "users": overlaid(graph.users, users),
        "rules": overlaid(graph.rules, sparse[0][0]),
        "assigned": overlaid(graph.assigned, sparse[1][0]),
        "user_ids": overlaid(graph.user_ids, sparse[2][0]),
        "services": frozenset(services),
    }


def _ranges(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """The positions ``starts[i]:ends[i]``, one range after the other."""
    lengths = ends - starts
    return np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(lengths.sum())


def _ranks(keys: np.ndarray) -> np.ndarray:
    """Each sorted key's rank among the equal keys before it."""
    steps = np.arange(len(keys))
    first = np.concatenate(([True], keys[1:] != keys[:-1]))
    return steps - np.maximum.accumulate(np.where(first, steps, 0))
