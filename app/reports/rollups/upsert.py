"""Writing into the rollup tables: an upsert that adds counts to the rows already there.

Every rollup (daily, monthly durations, channels, per agent) is moved by differences: a
ticket's new facts add, its old ones subtract. :func:`add_rows` writes such differences with
one statement compiled once for many rows, an ``INSERT ... ON CONFLICT`` (:func:`app.db.upsert`)
that adds to the counters already there. It flushes nothing and never commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import Table, insert

from app.db import is_postgresql, upsert
from app.extensions import db

ROWS_PER_STATEMENT = 5000


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
    for start in range(0, len(rows), ROWS_PER_STATEMENT):
        db.session.execute(statement, rows[start : start + ROWS_PER_STATEMENT])
