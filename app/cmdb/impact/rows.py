"""Rows that a patch replaces without copying the others: the compact index's adjacency.

Pure code (numpy, no Flask). A CSR array lists row ``u`` at ``start[u]:start[u + 1]``, so
changing one row's length moves every later entry: patching a million CIs' index that way
copies every array of the graph (about 150 MB) for an edit that touches a few rows. Here row
``u`` is a *window* ``begin[u]:end[u]`` into columns of entries (:class:`Store`) that every
version of one loaded graph shares and that only grow: a patch appends the rows it replaces at
the end of the store (in its spare capacity, allocated but untouched until written) and makes
a :class:`Rows` whose windows for those rows point there. Everything else is shared, so an
older version keeps answering on its own windows while newer ones are made, and nothing a
version reads is ever written again.

The windows of the build are two dense arrays; those a patch moved are three small sorted
arrays over them (rows, begins, ends), folded into new dense arrays once they grow past a
fraction of the rows. When the
store is full a patch gives up and the graph is loaded again (see
:func:`app.cmdb.impact.patch.patch`), which makes a new store.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

import numpy as np

SPARE = 1.0
"""Spare capacity of a store, as a fraction of its entries at build (at least :data:`SPARE_MIN`
entries): virtual memory until a patch writes there."""
SPARE_MIN = 1 << 16
FOLD_AT = 1 / 16
"""Moved rows, as a fraction of all rows (at least :data:`FOLD_MIN`), from which a patch folds
them into dense windows."""
FOLD_MIN = 64


class Store:
    """Columns of entries (one numpy array each, of equal length) shared by every version of
    a graph; entries are appended, never rewritten."""

    __slots__ = ("columns", "used", "capacity", "_lock")

    def __init__(self, columns: Mapping[str, np.ndarray]) -> None:
        used = len(next(iter(columns.values())))
        self.capacity = used + max(int(used * SPARE), SPARE_MIN)
        self.columns: dict[str, np.ndarray] = {}
        for name, values in columns.items():
            column = self.columns[name] = np.empty(self.capacity, dtype=values.dtype)
            column[:used] = values
        self.used = used
        self._lock = threading.Lock()

    def reserve(self, size: int) -> int | None:
        """The start of ``size`` free entries, now the caller's, or ``None``: the store is
        full."""
        with self._lock:
            if self.used + size > self.capacity:
                return None
            start, self.used = self.used, self.used + size
            return start


class Rows:
    """One version's rows over a :class:`Store`: ``n`` rows, row ``u`` at the window a patch
    moved it to (``moved``: the rows, ascending, and their begins and ends), else
    ``begin[u]:end[u]``. Read-only."""

    __slots__ = ("store", "n", "begin", "end", "moved")

    def __init__(
        self,
        store: Store,
        n: int,
        begin: np.ndarray,
        end: np.ndarray,
        moved: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
    ) -> None:
        self.store, self.n, self.begin, self.end = store, n, begin, end
        self.moved = moved if moved is not None else (_NONE, _NONE, _NONE)

    @classmethod
    def from_csr(cls, start: np.ndarray, columns: Mapping[str, np.ndarray]) -> Rows:
        """Rows from a CSR start array (``n + 1`` offsets) and its columns."""
        start = np.asarray(start, dtype=np.int64)
        return cls(Store(columns), len(start) - 1, start[:-1], start[1:])

    def column(self, name: str) -> np.ndarray:
        return self.store.columns[name]

    def window(self, u: int) -> tuple[int, int]:
        """``(begin, end)`` of row ``u``."""
        keys, begins, ends = self.moved
        if len(keys):
            at = int(keys.searchsorted(u))
            if at < len(keys) and keys[at] == u:
                return int(begins[at]), int(ends[at])
        return int(self.begin[u]), int(self.end[u])

    def row(self, name: str, u: int) -> list[Any]:
        """Row ``u`` of column ``name`` as a list."""
        b, e = self.window(u)
        return self.store.columns[name][b:e].tolist()

    def windows(self, nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The windows of rows ``nodes`` (an int array) as two arrays."""
        nodes = np.asarray(nodes, dtype=np.int64)
        keys, begins, ends = self.moved
        if not len(keys):
            return self.begin[nodes], self.end[nodes]
        size = len(self.begin)
        if size:
            inside = np.minimum(nodes, size - 1)
            b, e = self.begin[inside], self.end[inside]
        else:
            b = e = np.zeros(len(nodes), dtype=np.int64)
        at = np.minimum(np.searchsorted(keys, nodes), len(keys) - 1)
        hit = keys[at] == nodes
        if hit.any():
            b, e = b.copy(), e.copy()
            b[hit], e[hit] = begins[at[hit]], ends[at[hit]]
        return b, e

    def entries(self, nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The store positions of the entries of rows ``nodes`` (row after row, in order) and
        each one's row."""
        nodes = np.asarray(nodes, dtype=np.int64)
        b, e = self.windows(nodes)
        lengths = e - b
        total = int(lengths.sum())
        at = np.repeat(b - np.cumsum(lengths) + lengths, lengths) + np.arange(total)
        return at, np.repeat(nodes, lengths)

    def every(self) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`entries` of every row."""
        return self.entries(np.arange(self.n, dtype=np.int64))

    def flat(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """Column ``name`` as a CSR pair: ``start`` (``n + 1`` offsets) and the values."""
        b, e = self.windows(np.arange(self.n, dtype=np.int64))
        start = np.zeros(self.n + 1, dtype=np.int64)
        np.cumsum(e - b, out=start[1:])
        at, _ = self.entries(np.arange(self.n, dtype=np.int64))
        return start, self.store.columns[name][at]

    def replaced(
        self, n: int, nodes: np.ndarray, lengths: np.ndarray, values: Mapping[str, np.ndarray]
    ) -> Rows | None:
        """These rows with ``n`` rows, rows ``nodes`` (ascending, distinct) replaced by
        ``values`` (every column, the new rows one after the other, ``lengths`` entries each);
        rows at or beyond the old ``n`` must be among them. ``None``: the store is full."""
        total = int(np.sum(lengths))
        start = self.store.reserve(total)
        if start is None:
            return None
        for name, column in self.store.columns.items():
            column[start : start + total] = values[name]
        ends = start + np.cumsum(lengths, dtype=np.int64)
        begins = ends - lengths
        keys, old_begins, old_ends = self.moved
        kept = ~among(keys, nodes)
        keys = np.concatenate((keys[kept], nodes))
        order = np.argsort(keys, kind="stable")
        moved = (
            keys[order],
            np.concatenate((old_begins[kept], begins))[order],
            np.concatenate((old_ends[kept], ends))[order],
        )
        if len(moved[0]) <= max(FOLD_AT * n, FOLD_MIN):
            return Rows(self.store, n, self.begin, self.end, moved)
        b, e = Rows(self.store, n, self.begin, self.end, moved).windows(np.arange(n))
        return Rows(self.store, n, b, e)


_NONE = np.zeros(0, dtype=np.int64)


def among(values: np.ndarray, sorted_values: np.ndarray) -> np.ndarray:
    """Which ``values`` are in ``sorted_values``."""
    if not len(sorted_values):
        return np.zeros(len(values), dtype=bool)
    at = np.minimum(np.searchsorted(sorted_values, values), len(sorted_values) - 1)
    return sorted_values[at] == values
