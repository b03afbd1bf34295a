"""Building the compact index's arrays (:mod:`app.cmdb.impact.index`) from columns of plain values.

Pure code (numpy, no Flask). Loading 100,000 CIs means touching a few hundred thousand
relations, so the work is done on numpy arrays instead of one Python statement per relation:
relations become sorted integer pairs ``source * n + target``, and each CSR array is a stable
sort of the entries by row; Python only touches the few relation type combinations and the
pairs related both ways.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from itertools import compress, count, repeat
from operator import ge, gt
from typing import Any

import numpy as np

from app.cmdb.graph.vocabulary import MEMBER, PLAIN, CiId, RelationType, combine_kinds, sort_key


def graph_order(ids: list[CiId]) -> list[int] | None:
    """The positions of ``ids`` in the graph's node order, or ``None`` when already in it."""
    try:
        if not any(map(gt, ids, ids[1:])):
            return None
        return sorted(range(len(ids)), key=ids.__getitem__)
    except TypeError:  # ints mixed with strings: order as build_graph does
        return sorted(range(len(ids)), key=lambda i: sort_key(ids[i]))


def encode_relations(
    ids: list[CiId], index: Mapping[CiId, int], relations: Iterable[Any], type_names: list[str]
) -> tuple[np.ndarray, list[tuple[str, ...]], np.ndarray]:
    """Sorted distinct pairs ``source * n + target`` (dense ints), the type combinations found
    (first one per type, in ``type_names`` order), and each pair's combination.

    :raise ValueError: as :func:`~app.cmdb.graph.vocabulary.build_graph` for a bad relation.
    """
    triples = list(relations)
    n = len(ids)
    code = {name: j for j, name in enumerate(type_names)}
    width = len(type_names) or 1
    try:
        sources, targets, kinds = zip(*triples, strict=True) if triples else ((), (), ())
        k = np.fromiter(map(code.__getitem__, kinds), dtype=np.int64, count=len(kinds))
        s, t = _dense(index, sources, targets)
        if (s == t).any():
            raise KeyError
    except (KeyError, TypeError, ValueError):
        _refuse(index, triples, code)  # finds the faulty relation and says why
        raise
    keys = (s * n + t) * width + k
    keys.sort()
    twice = np.flatnonzero(keys[1:] == keys[:-1])
    if twice.size:
        pair, kind = divmod(int(keys[twice[0]]), width)
        (src, dst), kind = divmod(pair, n), type_names[kind]
        raise ValueError(f"duplicate relation {ids[src]!r} {kind} {ids[dst]!r}")
    pair_keys, kind_codes = np.divmod(keys, width)
    combos: list[tuple[str, ...]] = [(name,) for name in type_names]
    shared = pair_keys[1:] == pair_keys[:-1]
    if not shared.any():  # one type per pair: the usual case
        return pair_keys, combos, kind_codes
    first = np.flatnonzero(np.concatenate(([True], ~shared)))  # each pair's first relation
    found = {combo: j for j, combo in enumerate(combos)}
    pair_combo = kind_codes[first]
    ends = np.append(first[1:], len(keys))
    for p in np.flatnonzero(ends - first > 1).tolist():  # pairs with several types
        combo = tuple(type_names[j] for j in kind_codes[first[p] : ends[p]].tolist())
        pair_combo[p] = found.setdefault(combo, len(found))
        if pair_combo[p] == len(combos):
            combos.append(combo)
    return pair_keys[first], combos, pair_combo


class DenseIndex(Mapping[CiId, int]):
    """CI id -> dense int when ids are small non-negative ints (database keys): a flat array
    of 4 bytes per possible id instead of a dictionary entry per CI, and a cache-friendly
    lookup for the relations' hundreds of thousands of ends."""

    __slots__ = ("table", "_size")

    def __init__(self, table: array, size: int) -> None:
        self.table, self._size = table, size

    def __getitem__(self, ci_id: object) -> int:
        if type(ci_id) is int and 0 <= ci_id < len(self.table):
            node = self.table[ci_id]
            if node >= 0:
                return node
        raise KeyError(ci_id)

    def __iter__(self) -> Iterator[CiId]:
        return compress(count(), map(ge, self.table, repeat(0)))

    def __len__(self) -> int:
        return self._size


def make_index(ids: list[CiId]) -> Mapping[CiId, int]:
    """CI id -> position in ``ids``: a :class:`DenseIndex` when it fits, else a dictionary.

    :raise ValueError: an id given twice.
    """
    try:
        lowest, highest = (min(ids), max(ids)) if ids else (0, 0)
    except TypeError:  # ints mixed with strings
        lowest = highest = None
    index: Mapping[CiId, int]
    if type(lowest) is int and type(highest) is int and lowest >= 0 and highest < 4 * len(ids):
        table = array("i", repeat(-1, highest + 1))
        for node, ci_id in enumerate(ids):
            table[ci_id] = node
        index = DenseIndex(table, len(ids))
        found = sum(map(ge, table, repeat(0)))
    else:
        index = dict(zip(ids, range(len(ids)), strict=True))
        found = len(index)
    if found != len(ids):
        twice = next(i for i in ids if ids.count(i) > 1)
        raise ValueError(f"CI {twice!r} is given twice")
    return index


def _dense(
    index: Mapping[CiId, int], sources: Sequence[Any], targets: Sequence[Any]
) -> tuple[np.ndarray, np.ndarray]:
    """Relation ends as dense ints (``int64`` arrays). :raise KeyError: an end is no CI."""
    if isinstance(index, DenseIndex):  # at C speed; -1 marks an id that is no CI
        table = np.frombuffer(index.table, dtype=np.int32)
        ends = np.array(sources), np.array(targets)
        if all(e.dtype.kind == "i" and not (e.size and (e.min() < 0 or e.max() >= table.size))
               for e in ends):  # fmt: skip
            s, t = (table[e].astype(np.int64) for e in ends)
            if not (s.size and (s.min() < 0 or t.min() < 0)):
                return s, t
    return tuple(  # type: ignore[return-value]
        np.fromiter(map(index.__getitem__, e), dtype=np.int64, count=len(e))
        for e in (sources, targets)
    )


def _refuse(index: Mapping[CiId, int], triples: list[Any], code: Mapping[str, int]) -> None:
    """Raise the error :func:`~app.cmdb.graph.vocabulary.build_graph` raises for the first bad
    relation."""
    for triple in triples:
        source, target, type_name = triple
        for end in (source, target):
            if end not in index:
                raise ValueError(f"relation {source!r} {type_name} {target!r}: no CI {end!r}")
        if type_name not in code:
            raise ValueError(f"relation {source!r} {type_name} {target!r}: unknown relation type")
        if source == target:
            raise ValueError(f"CI {source!r} cannot be related to itself ({type_name})")


def failure_adjacency(
    n: int,
    src: np.ndarray,
    dst: np.ndarray,
    pair_combo: np.ndarray,
    combos: Sequence[Sequence[RelationType]],
    has_rule: np.ndarray,
    labels: dict[str, int] | None = None,
) -> dict[str, Any]:
    """The failure CSR arrays both ways (``out_*``: what a failure reaches, ``in_*``: where it
    comes from; numpy arrays), the relation labels, in the networkx graph's order, and
    ``in_to_out``: for each in entry, the position of the same link among the out entries.

    The pairs (sorted) are read in order and each spreading direction of a pair gives one
    entry to a row, as :func:`~app.cmdb.graph.vocabulary.build_graph` adds edges: a row lists its
    entries in the order of their pairs (a pair gives a row at most one entry, its ends differ).

    ``labels`` (relation label → code) are the codes already in use, to be kept and extended
    (:mod:`app.cmdb.impact.patch` rebuilds a few rows of an index whose codes stay).
    """
    labels = {} if labels is None else labels
    forward = [combine_kinds(t.spreads(True) for t in c) for c in combos]
    backward = [combine_kinds(t.spreads(False) for t in c) for c in combos]

    def codes(ab: int, ba: int) -> tuple[int, int]:
        """Label codes of a failure crossing a -> b, given the combinations of the pairs
        (a, b) and (b, a) (-1: no such pair): the hop read from a, the need read from b."""
        hop = [t.forward for t in combos[ab] if t.spreads(True)] if ab >= 0 else []
        need = [t.reverse for t in combos[ab] if t.spreads(True)] if ab >= 0 else []
        if ba >= 0:
            hop += [t.reverse for t in combos[ba] if t.spreads(False)]
            need[:0] = [t.forward for t in combos[ba] if t.spreads(False)]
        return tuple(  # type: ignore[return-value]
            labels.setdefault(" and ".join(dict.fromkeys(words)), len(labels))
            for words in (hop, need)
        )

    def per_pair(kinds: list[int], label: Callable[[int], tuple[int, int]]) -> list[np.ndarray]:
        """Each pair's kind, hop label and need label for one direction (kind 0: none)."""
        table = np.array([(k, *label(c)) if k else (0, 0, 0) for c, k in enumerate(kinds)])
        return [column[pair_combo] for column in table.reshape(-1, 3).T]

    ahead = per_pair(forward, lambda c: codes(c, -1))
    back = per_pair(backward, lambda c: codes(-1, c))
    for p, other in _two_way(n, src, dst, pair_combo):  # related both ways: both names
        c = int(pair_combo[p])
        if ahead[0][p]:
            ahead[1][p], ahead[2][p] = codes(c, other)
        if back[0][p]:
            back[1][p], back[2][p] = codes(other, c)
    assert len(labels) < 1 << 16, "at most 65,536 distinct relation labels"
    # A membership kind counts only into a CI with a redundancy rule.
    ahead[0] = np.where(has_rule[dst], ahead[0], np.minimum(ahead[0], PLAIN))
    back[0] = np.where(has_rule[src], back[0], np.minimum(back[0], PLAIN))
    # Entry 2p is pair p read ahead (src -> dst), entry 2p + 1 read back (dst -> src).
    used = np.stack((ahead[0], back[0]), axis=1).ravel() != 0

    def entries(on_ahead: np.ndarray, on_back: np.ndarray) -> np.ndarray:
        return np.stack((on_ahead, on_back), axis=1).ravel()[used]

    kind = entries(ahead[0], back[0])
    tail, head = entries(src, dst), entries(dst, src)  # where the failure comes from, goes to
    arrays: dict[str, Any] = {"labels": tuple(labels)}
    orders = {}
    for side, row, nb, label in (
        ("out", tail, head, entries(ahead[1], back[1])),
        ("in", head, tail, entries(ahead[2], back[2])),
    ):
        order = orders[side] = np.argsort(row, kind="stable")
        start = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(row, minlength=n), out=start[1:])
        arrays[f"{side}_start"] = start
        arrays[f"{side}_nb"] = nb[order].astype(np.int32)
        arrays[f"{side}_kind"] = kind[order].astype(np.uint8)
        arrays[f"{side}_label"] = label[order].astype(np.uint16)
    # Each in entry's position among the out entries: the same link read from either end.
    out_position = np.empty(len(kind), dtype=np.int32)
    out_position[orders["out"]] = np.arange(len(kind), dtype=np.int32)
    arrays["in_to_out"] = out_position[orders["in"]]
    return arrays


def _two_way(
    n: int, src: np.ndarray, dst: np.ndarray, pair_combo: np.ndarray
) -> list[tuple[int, int]]:
    """``(pair index, combination of the reverse pair)`` for pairs related both ways, in
    pair order."""
    pairs = src * np.int64(n) + dst
    reverse = dst * np.int64(n) + src
    at = np.minimum(np.searchsorted(pairs, reverse), max(len(pairs) - 1, 0))
    both = np.flatnonzero(pairs[at] == reverse) if len(pairs) else at
    return list(zip(both.tolist(), pair_combo[at[both]].tolist(), strict=True))


assert (PLAIN, MEMBER) == (1, 2), "two bits hold a kind"
