"""Paging a long list without counting all of it, and deep pages without skipping to them.

A queue of a million tickets cannot be counted on every page view: the count alone reads every
matching index entry. ``CappedPagination`` counts exactly up to ``cap`` rows and says "more
than 10,000" beyond; the last page is known from the page itself (fewer rows than asked for),
and "next" from one row read past the page, so paging stays exact where the count is not. On
PostgreSQL a list the planner expects to hold ``ESTIMATE_FROM`` rows or more is not counted at
all: the planner's estimate (an ``EXPLAIN``, planned from the statistics, nothing read) says
"about 50,000". An estimate that low is counted instead, so a wrong estimate never hides the
exact total of a short list; a long one reads as "about".

Its "next" and "previous" links also carry the sort keys of the page's last (first) row
(``after`` / ``before``, a keyset): the next page is then read from the index where this one
ended, so page 20,000 reached by "next" costs what page 2 does, and a row added or removed
meanwhile never makes a page skip or repeat one. A page asked for by number (the numbered
links, a typed URL) is read by offset, as far as ``OFFSET_CAP`` rows: an offset walks every
index entry before the page (page 20,000 of a million tickets: 500,000 entries, ~35 ms idle),
and no index can tell a row's position without counting the rows before it. A page typed
beyond is ``beyond``: not read, and the list says how to get there instead (its filters, the
other sort direction, or "next", which still pages on past it by keyset).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import (
    ClauseElement,
    ColumnElement,
    Executable,
    Select,
    bindparam,
    func,
    select,
    tuple_,
)
from sqlalchemy.ext.compiler import compiles

from app.db import is_postgresql
from app.extensions import db

COUNT_CAP = 10_000
ESTIMATE_FROM = 20_000  # the planner's estimate of a longer list is shown ("about 50,000")
OFFSET_CAP = 100_000  # rows before the deepest page read by its number (page 4,000 of 25)
SEPARATOR = "~"  # in no ISO timestamp, number or ticket number


def encode_keys(values: Sequence[Any]) -> str:
    """A row's sort keys as a query argument."""
    return SEPARATOR.join(v.isoformat() if isinstance(v, datetime) else str(v) for v in values)


def decode_keys(text: str | None, keys: Sequence[ColumnElement[Any]]) -> list[Any] | None:
    """The sort keys ``encode_keys`` wrote, typed as ``keys``; None for anything else."""
    parts = (text or "").split(SEPARATOR)
    if not text or len(parts) != len(keys):
        return None
    values: list[Any] = []
    try:
        for part, key in zip(parts, keys, strict=True):
            kind = getattr(key.type, "impl", key.type).python_type  # a TypeDecorator's own
            value = datetime.fromisoformat(part) if kind is datetime else kind(part)
            if isinstance(value, datetime) and value.tzinfo is None:
                return None  # the timestamps written here carry their zone
            values.append(value)
    except (ValueError, TypeError, NotImplementedError):
        return None
    return values


class Explain(Executable, ClauseElement):
    """``EXPLAIN (FORMAT JSON)`` of a select (PostgreSQL): its plan, the query not run."""

    inherit_cache = False  # compiled each time: a cached one wants the rows' columns

    def __init__(self, query: Select):
        self.query = query


@compiles(Explain, "postgresql")
def _explain(element: Explain, compiler: Any, **kw: Any) -> str:
    return f"EXPLAIN (FORMAT JSON) {compiler.process(element.query, **kw)}"


def planned_rows(query: Select) -> int | None:
    """The rows PostgreSQL's planner expects ``query`` to return, from its statistics, in
    the time it takes to plan it (None on a database that keeps no such estimate)."""
    if not is_postgresql(db.session):
        return None
    plan = db.session.scalar(Explain(query.order_by(None)))
    return int(plan[0]["Plan"]["Plan Rows"])


def rounded(rows: int) -> int:
    """An estimate to two significant digits: 49,705 is about 50,000."""
    digits = len(str(rows)) - 2
    return round(rows, -digits) if digits > 0 else rows


class CappedPagination(Pagination):
    """A page of ``query`` (a select of one column, sorted) whose total is exact up to
    ``cap`` rows; ``capped`` says the list is longer and ``total`` is then a lower bound.
    Where the planner expects ``ESTIMATE_FROM`` rows or more (PostgreSQL), nothing is
    counted: ``estimate`` is its figure, rounded, for "about 50,000".

    A page whose offset is ``offset_cap`` rows or more is read only by keyset (``after`` /
    ``before``); typed, it is ``beyond``: no rows, nothing counted.

    ``keys`` are the columns ``query`` is sorted by, its unique last one included, all in one
    ``descending`` direction; with them, ``after`` (or ``before``) is the encoded keys of the
    row this page follows (or precedes), and ``next_args`` / ``prev_args`` are the query
    arguments of the links to the next and previous pages.
    """

    def __init__(
        self,
        query: Select,
        *,
        page: int,
        per_page: int,
        cap: int | None = None,
        offset_cap: int | None = None,
        keys: Sequence[ColumnElement[Any]] = (),
        descending: bool = False,
        after: str | None = None,
        before: str | None = None,
    ):
        self.cap = cap or COUNT_CAP
        self.offset_cap = offset_cap or OFFSET_CAP
        self.more = False  # a row exists after this page
        self.capped = False
        self.estimate: int | None = None  # the planner's, when the list is that long
        self.beyond = False  # a page typed past ``offset_cap``: not read
        self.keys, self.descending = list(keys), descending
        # Page 1 is the top of the list, however it is reached.
        self.after = decode_keys(after, self.keys) if keys and page > 1 else None
        self.before = (
            decode_keys(before, self.keys) if keys and page > 1 and not self.after else None
        )
        self.next_args: dict[str, str | None] = {}
        self.prev_args: dict[str, str | None] = {}
        super().__init__(
            page=page, per_page=per_page, max_per_page=None, error_out=False, select=query
        )

    def _beyond(self, values: list[Any], forward: bool) -> ColumnElement[bool]:
        """The rows after (``forward``) or before the row whose keys are ``values``."""
        row = tuple_(*self.keys)
        bound = tuple_(
            *(bindparam(None, v, type_=k.type) for k, v in zip(self.keys, values, strict=True))
        )
        return row < bound if forward == self.descending else row > bound

    def _query_items(self) -> list[Any]:
        query: Select = self._query_args["select"]
        if self.keys:
            query = query.add_columns(*self.keys)
        if self.after is not None:
            rows = list(
                db.session.execute(
                    query.where(self._beyond(self.after, True)).limit(self.per_page + 1)
                )
            )
        elif self.before is not None:
            back = [k.asc() if self.descending else k.desc() for k in self.keys]
            rows = list(
                db.session.execute(
                    query.where(self._beyond(self.before, False))
                    .order_by(None)
                    .order_by(*back)
                    .limit(self.per_page + 1)
                )
            )
            if len(rows) <= self.per_page:  # the first page: read it as such
                self.page, self.before = 1, None
                return self._query_items()
            # The page in order, and one row more: the page it was reached from follows.
            rows = [*reversed(rows[: self.per_page]), rows[0]]
        elif self._numbered(self.page):
            rows = list(
                db.session.execute(query.limit(self.per_page + 1).offset(self._query_offset))
            )
        else:
            self.beyond = True
            return []
        self.more = len(rows) > self.per_page
        rows = rows[: self.per_page]
        if self.keys and rows:
            self.next_args = {"after": encode_keys(rows[-1][1:]), "before": None}
            self.prev_args = {"before": encode_keys(rows[0][1:]), "after": None}
        return [row[0] for row in rows]

    def _numbered(self, page: int) -> bool:
        """Whether ``page`` may be read by its number (an offset under ``offset_cap``)."""
        return (page - 1) * self.per_page < self.offset_cap

    def _query_count(self) -> int:
        if self.beyond:
            self.capped = True
            return self._query_offset
        seen = self._query_offset + len(self.items)
        if self.items and not self.more:
            return seen  # the last page: nothing to count
        if self._query_offset == 0 and not self.items:
            return 0
        query: Select = self._query_args["select"]
        planned = planned_rows(query)
        if planned is not None and planned >= ESTIMATE_FROM and planned > seen:
            self.capped, self.estimate = True, rounded(planned)
            return seen + 1
        if self.more and seen >= self.cap:
            self.capped = True
            return seen + 1
        capped = query.order_by(None).limit(self.cap + 1).subquery()
        counted = db.session.scalar(select(func.count()).select_from(capped)) or 0
        if counted > self.cap:
            self.capped = True
            return max(counted, seen + 1)
        return counted

    @property
    def pages(self) -> int:
        """The number of pages; when ``capped``, the pages known so far (this one and the
        next)."""
        if self.capped:
            return self.page + (1 if self.more else 0)
        return super().pages

    @property
    def has_next(self) -> bool:
        return self.more if self.capped else super().has_next

    def iter_pages(
        self,
        *,
        left_edge: int = 2,
        left_current: int = 2,
        right_current: int = 4,
        right_edge: int = 2,
    ) -> Iterator[int | None]:
        """As ``Pagination.iter_pages``; a capped list ends with a gap (``None``), since its
        last page is not known, and pages past ``offset_cap`` other than this one are gaps
        too (only "next" and "previous" reach them)."""
        gap = False
        for page in super().iter_pages(
            left_edge=left_edge,
            left_current=left_current,
            right_current=right_current,
            right_edge=0 if self.capped else right_edge,
        ):
            if page is not None and (page == self.page or self._numbered(page)):
                gap = False
                yield page
            elif not gap:
                gap = True
                yield None
        if self.capped and self.more and not gap:
            yield None


class RowPagination(Pagination):
    """A page of ``query``, a select of several columns, whose items are its rows
    (Flask-SQLAlchemy's pagination of a select keeps each row's first column alone). The
    total is exact, and counted only when the page cannot tell it: a list that ends on this
    page (most people's own tickets fit on their first) is one statement."""

    def __init__(self, query: Select, *, page: int, per_page: int):
        super().__init__(
            page=page, per_page=per_page, max_per_page=None, error_out=False, select=query
        )

    def _query_items(self) -> list[Any]:
        query: Select = self._query_args["select"]
        return list(db.session.execute(query.limit(self.per_page).offset(self._query_offset)))

    def _query_count(self) -> int:
        if len(self.items) < self.per_page and (self.items or self._query_offset == 0):
            return self._query_offset + len(self.items)  # the list ends on this page
        query: Select = self._query_args["select"]
        counted = select(func.count()).select_from(query.order_by(None).subquery())
        return db.session.scalar(counted) or 0
