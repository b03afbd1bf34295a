"""Patching a compact index (:mod:`app.cmdb.impact.index`) after a few CIs changed.

Pure code (numpy, no Flask, no SQLAlchemy). Building the index of a million CIs takes seconds;
an edit touches a handful of CIs and the rows of their neighbours. :func:`patch` takes the old
index, the CIs that changed (all their fields, as they are now) and every relation that touches
them, and returns a new index equal, answer for answer, to one built from scratch: the
relations touching the changed CIs are replaced in the sorted pair arrays, the CSR rows of
every CI such a relation touches are built again by
:func:`~app.cmdb.impact.build.failure_adjacency` from all the pairs touching those CIs, and the
arrays are spliced: untouched rows are copied as they are, only shifted. The old index is not
changed (other threads may be answering on it).

What a patch cannot do, it leaves to a rebuild (:func:`patch` returns ``None``): removing a CI
(every later dense int would move), or adding one whose id is not above all others (dense ints
follow the ids' order). Relation labels and type combinations only grow until the next
rebuild; their codes are never read outside the index.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Mapping, Sequence
from itertools import repeat
from typing import Any, cast

import numpy as np

from app.cmdb.graph.vocabulary import BUSINESS_SERVICE, CiId
from app.cmdb.impact.build import DenseIndex, encode_relations, failure_adjacency
from app.cmdb.impact.index import _STATUS_CODE, Columns, CompactGraph

_SIDES = ("out", "in")
_COLUMNS = (("nb", np.int32, "i"), ("kind", np.uint8, ""), ("label", np.uint16, "H"))


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
        others, ids that are not ints).
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
    ids = list(graph.ids)
    ids.extend(added)
    if added and not _appendable(graph, added):
        return None
    n = len(ids)
    index = _extended_index(graph, added)
    if index is None:
        return None
    at = [index[c] for c in given]
    fields = _columns(graph, columns, at, len(added))
    changed = {c for c in changed if c in index}  # not those made and removed since
    nodes = np.asarray(sorted(index[c] for c in changed), dtype=np.int64)

    triples = [r for r in relations if r[0] in changed or r[1] in changed]
    type_names = sorted(graph.relation_types)
    keys, local_combos, local_codes = encode_relations(ids, index, triples, type_names)
    combos = list(graph.combos)
    known = {combo: j for j, combo in enumerate(combos)}
    for combo in local_combos:
        if known.setdefault(combo, len(combos)) == len(combos):
            combos.append(combo)
    to_global = np.asarray([known[c] for c in local_combos] or [0], dtype=np.int64)
    codes = to_global[local_codes]

    old_src = np.frombuffer(graph.pair_src, dtype=np.int32)
    old_dst = np.frombuffer(graph.pair_dst, dtype=np.int32)
    old_combo = np.frombuffer(graph.pair_combo, dtype=np.uint16)
    gone = _touching(old_src, old_dst, nodes, n)
    new_src, new_dst = np.divmod(keys, n or 1)
    where = _pair_positions(old_src, old_dst, new_src, new_dst)
    src = _edited(old_src, gone, where, new_src)
    dst = _edited(old_dst, gone, where, new_dst)
    pair_combo = _edited(old_combo, gone, where, codes)

    # Rows to build again: the changed CIs and every CI at the other end of a relation of
    # theirs, before or after (a rule changed on a CI changes the kind of links into it).
    rebuilt = np.unique(
        np.concatenate((nodes, old_src[gone], old_dst[gone], new_src, new_dst))
    ).astype(np.int64)
    sub = _touching(src, dst, rebuilt, n)
    # Built on the CIs of those pairs only, numbered in the same order: O(pairs), not O(CIs).
    local = np.unique(np.concatenate((src[sub], dst[sub], rebuilt)))
    rules = fields["rules"]
    has_rule = np.fromiter(map(rules.__contains__, local.tolist()), dtype=bool, count=len(local))
    types = graph.relation_types
    adjacency = failure_adjacency(
        len(local),
        np.searchsorted(local, src[sub]).astype(np.int64),
        np.searchsorted(local, dst[sub]).astype(np.int64),
        pair_combo[sub].astype(np.int64),
        [[types[t] for t in c] for c in combos],
        has_rule,
        {label: j for j, label in enumerate(graph.labels)},
    )
    arrays = _spliced(graph, adjacency, rebuilt, n, local)
    return CompactGraph(
        ids=ids,
        index=index,
        relation_types=types,
        labels=adjacency["labels"],
        pair_src=_stored("i", src),
        pair_dst=_stored("i", dst),
        pair_combo=_stored("H", pair_combo),
        combos=tuple(combos),
        **fields,
        **arrays,
    )


def _appendable(graph: CompactGraph, added: list[int]) -> bool:
    """New CIs keep the graph's order when appended: ids above every id it has."""
    last = graph.ids[-1] if len(graph) else None
    return last is None or (type(last) is int and added[0] > last)


def _extended_index(graph: CompactGraph, added: list[int]) -> Any:
    """A copy of the graph's id → dense int mapping with the ``added`` CIs appended, or
    ``None`` when a flat table would grow too sparse (a rebuild picks the right kind)."""
    n = len(graph)
    old = graph.index
    if not added:
        return old
    if isinstance(old, DenseIndex):
        highest = added[-1]
        if highest >= 4 * (n + len(added)):
            return None
        table = array("i", old.table)
        if highest >= len(table):
            table.extend(repeat(-1, highest + 1 - len(table)))
        for node, ci_id in enumerate(added, n):
            table[ci_id] = node
        return DenseIndex(table, n + len(added))
    found = dict(old)
    found.update(zip(added, range(n, n + len(added)), strict=True))
    return found


def _columns(graph: CompactGraph, columns: Columns, at: list[int], added: int) -> dict[str, Any]:
    """The per-CI fields of the index with the given CIs (at dense ints ``at``) replaced."""
    names, classes = list(graph.names), list(graph.classes)
    names.extend(repeat("", added))
    classes.extend(repeat("", added))
    status = bytearray(graph.status)
    status.extend(bytes(added))
    users, rules = dict(graph.users), dict(graph.rules)
    assigned, user_ids = dict(graph.assigned), dict(graph.user_ids)
    services = set(graph.services)
    sparse_columns: list[tuple[dict[int, Any], Mapping[CiId, Any]]] = [
        (rules, columns.rules),
        (assigned, columns.assigned),
        (user_ids, columns.user_ids),
    ]
    for node, ci_id, name, ci_class, state, count in zip(at, *columns[:5], strict=True):
        try:
            status[node] = _STATUS_CODE[state]
        except KeyError:
            raise ValueError(f"{state!r} is not a valid Lifecycle") from None
        if count < 0:
            raise ValueError(f"CI {ci_id!r}: users cannot be negative")
        names[node], classes[node] = name, ci_class
        for sparse, by_id in sparse_columns:
            sparse.pop(node, None)
            if ci_id in by_id:
                sparse[node] = by_id[ci_id]
        users.pop(node, None)
        if count:
            users[node] = count
        services.discard(node)
        if ci_class == BUSINESS_SERVICE:
            services.add(node)
    return {
        "names": names,
        "classes": classes,
        "status": bytes(status),
        "users": users,
        "rules": rules,
        "assigned": assigned,
        "user_ids": user_ids,
        "services": frozenset(services),
    }


def _touching(src: np.ndarray, dst: np.ndarray, nodes: np.ndarray, n: int) -> np.ndarray:
    """The positions of the pairs (sorted by source) with an end among ``nodes`` (sorted)."""
    by_source = _ranges(np.searchsorted(src, nodes, "left"), np.searchsorted(src, nodes, "right"))
    mark = np.zeros(n, dtype=bool)
    mark[nodes] = True
    return np.union1d(by_source, np.flatnonzero(mark[dst]))


def _pair_positions(
    src: np.ndarray, dst: np.ndarray, new_src: np.ndarray, new_dst: np.ndarray
) -> np.ndarray:
    """Where the new pairs go among the sorted pairs ``(src, dst)``, each before the first
    pair not below it."""
    lo, hi = np.searchsorted(src, new_src, "left"), np.searchsorted(src, new_src, "right")
    return np.asarray(
        [
            a + int(np.searchsorted(dst[a:b], t))
            for a, b, t in zip(lo.tolist(), hi.tolist(), new_dst.tolist(), strict=True)
        ],
        dtype=np.int64,
    )


def _edited(old: np.ndarray, gone: np.ndarray, where: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``old`` without the entries at ``gone``, with ``values`` put before the entries at
    ``where`` (positions in ``old``; both sorted): one copy of the array."""
    values = values.astype(old.dtype)
    events = sorted(
        [(p, 0, j) for j, p in enumerate(where.tolist())] + [(p, 1, 0) for p in gone.tolist()]
    )
    pieces = []
    done = 0
    for position, removal, j in events:
        pieces.append(old[done:position])
        if removal:
            done = position + 1
        else:
            pieces.append(values[j : j + 1])
            done = position
    pieces.append(old[done:])
    return np.concatenate(pieces)


def _spliced(
    graph: CompactGraph, adjacency: dict[str, Any], rows: np.ndarray, n: int, local: np.ndarray
) -> dict[str, Any]:
    """The CSR arrays of ``graph`` with ``rows`` taken from ``adjacency``, built on the CIs
    ``local`` (its ints index ``local``; its other rows are partial), and ``in_to_out``
    pointing into the new out arrays."""
    arrays: dict[str, Any] = {}
    shift: np.ndarray = np.zeros(0, dtype=np.int64)
    out_start = shift
    at = np.searchsorted(local, rows)
    for side in _SIDES:
        old_start = _starts(getattr(graph, f"{side}_start"), n)
        new_rows = np.frombuffer(adjacency[f"{side}_start"], dtype=np.int64)
        counts = np.diff(old_start)
        counts[rows] = new_rows[at + 1] - new_rows[at]
        start = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(counts, out=start[1:])
        arrays[f"{side}_start"] = _stored("q", start)
        new = np.zeros(0)
        for name, dtype, store in _COLUMNS:
            old = np.frombuffer(getattr(graph, f"{side}_{name}"), dtype=dtype)
            new = np.frombuffer(adjacency[f"{side}_{name}"], dtype=dtype)
            if name == "nb":
                new = local[new].astype(dtype)
            joined = _join(old, old_start, new, new_rows, rows, at)
            arrays[f"{side}_{name}"] = _stored(store, joined) if store else joined.tobytes()
        if side == "out":
            shift = start - old_start
            out_start = start
        else:
            old_links = np.frombuffer(graph.in_to_out, dtype=np.int32)
            blank = np.full(len(new), -1, dtype=np.int32)
            links = _join(old_links, old_start, blank, new_rows, rows, at)
            in_nb = np.frombuffer(arrays["in_nb"], dtype=np.int32)
            links += shift.astype(np.int32)[in_nb]
            arrays["in_to_out"] = _link_again(links, start, in_nb, out_start, arrays, rows, n)
    return arrays


def _starts(stored: Sequence[int], n: int) -> np.ndarray:
    """A CSR start array as ``int64``, extended with empty rows up to ``n`` rows."""
    old = np.frombuffer(stored, dtype=np.int64)  # type: ignore[call-overload]
    return np.concatenate((old, np.repeat(old[-1:], n + 1 - len(old))))


def _join(
    old: np.ndarray,
    old_start: np.ndarray,
    new: np.ndarray,
    new_start: np.ndarray,
    rows: np.ndarray,
    at: np.ndarray,
) -> np.ndarray:
    """``old``'s entries with the CSR ``rows`` (sorted) taken from ``new``'s rows ``at``."""
    pieces = []
    done = 0
    for row, local in zip(rows.tolist(), at.tolist(), strict=True):
        pieces.append(old[done : old_start[row]])
        pieces.append(new[new_start[local] : new_start[local + 1]])
        done = old_start[row + 1]
    pieces.append(old[done:])
    return np.concatenate(pieces)


def _link_again(
    links: np.ndarray,
    in_start: np.ndarray,
    in_nb: np.ndarray,
    out_start: np.ndarray,
    arrays: dict[str, Any],
    rows: np.ndarray,
    n: int,
) -> array:
    """``in_to_out`` with the entries of rebuilt rows, and those from a CI whose out row was
    rebuilt, found again: the k-th entry from ``t`` in in row ``h`` is the k-th entry to ``h``
    in out row ``t`` (both list a pair's entries in pair order). Every entry of a (head, tail)
    is redone when one is, so ranks among the redone entries are ranks in the rows."""
    rebuilt = np.zeros(n, dtype=bool)
    rebuilt[rows] = True
    redo = np.union1d(_ranges(in_start[rows], in_start[rows + 1]), np.flatnonzero(rebuilt[in_nb]))
    if len(redo):
        heads = np.searchsorted(in_start, redo, "right") - 1
        keys = heads * n + in_nb[redo]
        order = np.argsort(keys, kind="stable")
        wanted = keys[order]
        tails = np.unique(in_nb[redo]).astype(np.int64)
        lengths = out_start[tails + 1] - out_start[tails]
        positions = _ranges(out_start[tails], out_start[tails + 1])
        out_nb = np.frombuffer(arrays["out_nb"], dtype=np.int32)
        out_keys = out_nb[positions] * np.int64(n) + np.repeat(tails, lengths)
        out_order = np.argsort(out_keys, kind="stable")
        found = np.searchsorted(out_keys[out_order], wanted) + _ranks(wanted)
        links[redo[order]] = positions[out_order[found]]
    return _stored("i", links)


def _stored(code: str, values: np.ndarray) -> array:
    """An :class:`array.array` of ``values`` (of the matching width), copied once."""
    stored = array(code)
    stored.frombytes(np.ascontiguousarray(values).data.cast("B"))
    return stored


def _ranges(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """The positions ``starts[i]:ends[i]``, one range after the other."""
    lengths = ends - starts
    return np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(lengths.sum())


def _ranks(keys: np.ndarray) -> np.ndarray:
    """Each sorted key's rank among the equal keys before it."""
    steps = np.arange(len(keys))
    first = np.concatenate(([True], keys[1:] != keys[:-1]))
    return steps - np.maximum.accumulate(np.where(first, steps, 0))
