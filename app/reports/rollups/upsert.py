"""Writing into the rollup tables: an upsert that adds counts to the rows already there.

Every rollup (daily, monthly durations, channels, per agent) is moved by differences: a
ticket's new facts add, its old ones subtract. :func:`add_rows` writes such differences with
one statement compiled once for many rows, an ``INSERT ... ON CONFLICT`` (:func:`app.db.upsert`)
that adds to the counters already there. Inside :func:`together` the writes wait for its end,
where on PostgreSQL a few rows of several tables are one statement (each write but the last a
data-modifying ``WITH``): a ticket's facts and its rollups cost a round trip, not one each;
while a commit holds writes (:mod:`app.commit_writes`), they go with its other inserts. It
flushes nothing and never commits.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from typing import Any

from sqlalchemy import Table, insert

from app import commit_writes
from app.commit_writes import ROWS_PER_STATEMENT, Write
from app.db import is_postgresql, upsert
from app.extensions import db

PENDING = "rollup_writes"


@cache
def _adding(postgresql: bool, table: Table, key: tuple[str, ...]) -> Any:
    """The upsert that adds to ``table``'s counters, built once per database (``postgresql``,
    the session's) and table: a statement is immutable, and building it is most of the CPU of
    a rollup write of a few rows."""
    statement = upsert(db.session, table)
    counters = [c.name for c in table.columns if c.name not in key]
    return statement.on_conflict_do_update(
        index_elements=list(key),
        set_={name: table.c[name] + statement.excluded[name] for name in counters},
    )


def add_rows(table: Table, key: Sequence[str], rows: list[dict[str, Any]], *, empty: bool) -> None:
    """Add ``rows`` (a key and every counter of ``table``, which may be negative) to a rollup
    table: one statement run for many rows (compiled once), an upsert that adds to the row
    already there (a plain insert into an ``empty`` table)."""
    if not rows:
        return
    statement = insert(table) if empty else _adding(is_postgresql(db.session), table, tuple(key))
    write(statement, rows)


def write(statement: Any, rows: list[dict[str, Any]]) -> None:
    """Run the insert ``statement`` (compiled once: its values are its rows') for ``rows``,
    distinct by the table's key; inside :func:`together`, at its end."""
    pending: list[Write] | None = db.session.info.get(PENDING)
    if pending is not None:
        pending.append((statement, rows))
        return
    for start in range(0, len(rows), ROWS_PER_STATEMENT):
        db.session.execute(statement, rows[start : start + ROWS_PER_STATEMENT])


@contextmanager
def together() -> Iterator[None]:
    """Hold the writes made inside until its end, then run them in their order: as one
    statement on PostgreSQL when they are a few rows of different tables, else one by one;
    held on for the commit when the session is committing (:mod:`app.commit_writes`)."""
    session = db.session()
    if PENDING in session.info:  # inside another: its end runs them
        yield
        return
    pending: list[Write] = []
    session.info[PENDING] = pending
    try:
        yield
    finally:
        session.info.pop(PENDING, None)
    if not commit_writes.hold(session, *pending):
        commit_writes.run(session, pending)
