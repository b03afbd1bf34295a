"""Paging a long list without counting all of it.

A queue of a million tickets cannot be counted on every page view: the count alone reads every
matching index entry. ``CappedPagination`` counts exactly up to ``cap`` rows and says "more
than 10,000" beyond; the last page is known from the page itself (fewer rows than asked for),
and "next" from one row read past the page, so paging stays exact where the count is not.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select, func, select

from app.extensions import db

COUNT_CAP = 10_000


class CappedPagination(Pagination):
    """A page of ``query`` (a select of one column, sorted) whose total is exact up to
    ``cap`` rows; ``capped`` says the list is longer and ``total`` is then a lower bound."""

    def __init__(self, query: Select, *, page: int, per_page: int, cap: int | None = None):
        self.cap = cap or COUNT_CAP
        self.more = False  # a row exists after this page
        self.capped = False
        super().__init__(
            page=page, per_page=per_page, max_per_page=None, error_out=False, select=query
        )

    def _query_items(self) -> list[Any]:
        query: Select = self._query_args["select"]
        rows = list(db.session.scalars(query.limit(self.per_page + 1).offset(self._query_offset)))
        self.more = len(rows) > self.per_page
        return rows[: self.per_page]

    def _query_count(self) -> int:
        seen = self._query_offset + len(self.items)
        if self.items and not self.more:
            return seen  # the last page: nothing to count
        if self._query_offset == 0 and not self.items:
            return 0
        if self.more and seen >= self.cap:
            self.capped = True
            return seen + 1
        query: Select = self._query_args["select"]
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
        last page is not known."""
        yield from super().iter_pages(
            left_edge=left_edge,
            left_current=left_current,
            right_current=right_current,
            right_edge=0 if self.capped else right_edge,
        )
        if self.capped and self.more:
            yield None
