"""Building the compact index's arrays (:mod:`app.cmdb.compact`) from columns of plain values.

Pure code. Loading 100,000 CIs means touching a few hundred thousand relations, so the work
is done column-wise with ``map``, ``compress`` and sorts, which run in C, instead of one Python
statement per relation: relations become sorted integer pairs, and each CSR array is one sort
of integer keys ``row * K + slot`` decoded through small tables.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import accumulate, chain, compress, count, repeat
from operator import add, and_, eq, floordiv, ge, gt, mod, mul, rshift
from typing import Any

from app.cmdb.graph import MEMBER, PLAIN, CiId, RelationType, combine_kinds, sort_key


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
) -> tuple[list[int], list[tuple[str, ...]], list[int]]:
    """Sorted distinct pairs ``source * n + target`` (dense ints), the type combinations found
    (first one per type, in ``type_names`` order), and each pair's combination.

    :raise ValueError: as :func:`~app.cmdb.graph.build_graph` for a bad relation.
    """
    triples = list(relations)
    n = len(ids)
    code = {name: j for j, name in enumerate(type_names)}
    width = len(type_names) or 1
    try:
        sources, targets, kinds = zip(*triples, strict=True) if triples else ((), (), ())
        k = list(map(code.__getitem__, kinds))
        s, t = _dense(index, sources, targets)
        if any(map(eq, s, t)):
            raise KeyError
    except (KeyError, TypeError, ValueError):
        _refuse(index, triples, code)  # finds the faulty relation and says why
        raise
    keys = list(map(add, map(mul, map(add, map(mul, s, repeat(n)), t), repeat(width)), k))
    keys.sort()
    if any(map(eq, keys, keys[1:])):
        key = next(a for a, b in zip(keys, keys[1:], strict=False) if a == b)
        (src, dst), kind = divmod(key // width, n), type_names[key % width]
        raise ValueError(f"duplicate relation {ids[src]!r} {kind} {ids[dst]!r}")
    pair_keys = list(map(floordiv, keys, repeat(width)))
    kind_codes = list(map(mod, keys, repeat(width)))
    combos: list[tuple[str, ...]] = [(name,) for name in type_names]
    if not any(map(eq, pair_keys, pair_keys[1:])):  # one type per pair: the usual case
        return pair_keys, combos, kind_codes
    found = {combo: j for j, combo in enumerate(combos)}
    pairs: list[int] = []
    pair_names: list[tuple[str, ...]] = []
    for pair, kind in zip(pair_keys, kind_codes, strict=True):
        if pairs and pairs[-1] == pair:
            pair_names[-1] += (type_names[kind],)
        else:
            pairs.append(pair)
            pair_names.append((type_names[kind],))
    for combo in pair_names:
        if combo not in found:
            found[combo] = len(combos)
            combos.append(combo)
    return pairs, combos, [found[combo] for combo in pair_names]


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
) -> tuple[list[int], list[int]]:
    """Relation ends as dense ints. :raise KeyError: an end is no CI."""
    if isinstance(index, DenseIndex):
        try:  # at C speed; -1 marks an id that is no CI
            s = list(map(index.table.__getitem__, sources))
            t = list(map(index.table.__getitem__, targets))
            if min(s, default=0) >= 0 and min(t, default=0) >= 0:
                return s, t
        except (IndexError, TypeError):
            pass
    return list(map(index.__getitem__, sources)), list(map(index.__getitem__, targets))


def _refuse(index: Mapping[CiId, int], triples: list[Any], code: Mapping[str, int]) -> None:
    """Raise the error :func:`~app.cmdb.graph.build_graph` raises for the first bad relation."""
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
    pairs: list[int],
    src: array,
    dst: array,
    pair_combo: list[int],
    combos: Sequence[Sequence[RelationType]],
    has_rule: bytearray,
) -> dict[str, Any]:
    """The failure CSR arrays both ways (``out_*``: what a failure reaches, ``in_*``: where it
    comes from) and the relation labels, in the networkx graph's order.

    Pairs are visited in order and each spreading direction appends one entry to its row, as
    :func:`~app.cmdb.graph.build_graph` does (a sort-based build measured slower).
    """
    forward = [combine_kinds(t.spreads(True) for t in c) for c in combos]
    backward = [combine_kinds(t.spreads(False) for t in c) for c in combos]
    labels: dict[str, int] = {}

    def codes(ab: int, ba: int) -> tuple[int, int]:
        """Label codes (shifted past the kind's two bits) of a failure crossing a -> b, given
        the combinations of the pairs (a, b) and (b, a) (-1: no such pair): the hop read
        from a, the need read from b."""
        hop = [t.forward for t in combos[ab] if t.spreads(True)] if ab >= 0 else []
        need = [t.reverse for t in combos[ab] if t.spreads(True)] if ab >= 0 else []
        if ba >= 0:
            hop += [t.reverse for t in combos[ba] if t.spreads(False)]
            need[:0] = [t.forward for t in combos[ba] if t.spreads(False)]
        return tuple(  # type: ignore[return-value]
            labels.setdefault(" and ".join(dict.fromkeys(words)), len(labels)) << 2
            for words in (hop, need)
        )

    one_way = (
        [((forward[c], *codes(c, -1)) if forward[c] else None) for c in range(len(combos))],
        [((backward[c], *codes(-1, c)) if backward[c] else None) for c in range(len(combos))],
    )
    two_way = dict(_two_way(n, pairs, src, dst, pair_combo))
    out_rows: list[list[int]] = [[] for _ in range(n)]
    in_rows: list[list[int]] = [[] for _ in range(n)]
    # Entries are packed as neighbour << 18 | label << 2 | kind while the rows fill.
    for p, (s, t, c) in enumerate(zip(src, dst, pair_combo, strict=True)):
        ahead, back = one_way[0][c], one_way[1][c]
        if p in two_way:  # related both ways: the labels name both relations
            other = two_way[p]
            ahead = ahead and (ahead[0], *codes(c, other))
            back = back and (back[0], *codes(other, c))
        if ahead:
            kind, hop, need = ahead
            kind = kind if kind == PLAIN or has_rule[t] else PLAIN
            out_rows[s].append(t << 18 | hop | kind)
            in_rows[t].append(s << 18 | need | kind)
        if back:
            kind, hop, need = back
            kind = kind if kind == PLAIN or has_rule[s] else PLAIN
            out_rows[t].append(s << 18 | hop | kind)
            in_rows[s].append(t << 18 | need | kind)
    assert len(labels) < 1 << 16, "at most 65,536 distinct relation labels"
    arrays: dict[str, Any] = {"labels": tuple(labels)}
    for side, rows in (("out", out_rows), ("in", in_rows)):
        packed = array("q", chain.from_iterable(rows))
        arrays[f"{side}_start"] = array("q", accumulate(map(len, rows), initial=0))
        arrays[f"{side}_nb"] = array("i", map(rshift, packed, repeat(18)))
        arrays[f"{side}_kind"] = bytes(map(and_, packed, repeat(3)))
        arrays[f"{side}_label"] = array(
            "H", map(rshift, map(and_, packed, repeat(0x3FFFF)), repeat(2))
        )
    return arrays


def _two_way(
    n: int, pairs: list[int], src: array, dst: array, pair_combo: list[int]
) -> list[tuple[int, int]]:
    """``(pair index, combination of the reverse pair)`` for pairs related both ways."""
    upward = set(compress(pairs, map(gt, dst, src)))  # source < target
    reverse = map(add, map(mul, dst, repeat(n)), src)
    found = compress(range(len(pairs)), map(upward.__contains__, reverse))
    back_of = {}
    result = []
    for p in found:  # p has source > target; its reverse pair has source < target
        q = bisect_left(pairs, dst[p] * n + src[p])
        back_of[q] = pair_combo[p]
        result += [(p, pair_combo[q])]
    return result + list(back_of.items())


assert (PLAIN, MEMBER) == (1, 2), "two bits hold a kind"
