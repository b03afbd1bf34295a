"""Write many rows of one table fast: PostgreSQL's ``COPY ... FROM STDIN`` through psycopg 3.

An import's batch writes tens of thousands of rows (a ticket's events and journal lines). A
plain ``INSERT`` run for many parameter sets makes psycopg send one ``Execute`` per row (in a
pipeline, but PostgreSQL still plans and runs each one), and a multi-row ``INSERT ... VALUES``
costs psycopg a fresh conversion of its huge query text every time. ``COPY`` streams the rows
in one statement: the server's cheapest way in. The values go through each column's bind
processing first (``UTCDateTime``, the portable enums, JSON), and the columns a row leaves out
get their Python-side defaults, so a row means what it means to ``insert(table)``. Other
databases (SQLite) take the ordinary ``insert(table)`` with the same rows.

Flushes nothing and commits nothing: ``COPY`` runs on the session's own connection, inside its
transaction (and its savepoint, for a dry run).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import Any, cast

from sqlalchemy import Table, insert, select, text
from sqlalchemy.orm import Session
from sqlalchemy.sql.schema import CallableColumnDefault, ScalarElementColumnDefault

from app.db import is_postgresql
from app.extensions import db


def _defaults(table: Table, given: set[str]) -> dict[str, Callable[[], Any]]:
    """The Python-side defaults of the columns a row leaves out (a server-side default or
    an autoincrement id is left to the server)."""
    out: dict[str, Callable[[], Any]] = {}
    for column in table.columns:
        default = column.default
        if column.name in given:
            continue
        if isinstance(default, ScalarElementColumnDefault):
            out[column.name] = partial(_same, default.arg)
        elif isinstance(default, CallableColumnDefault):  # wrapped to take a context
            out[column.name] = partial(default.arg, cast(Any, None))
    return out


def _same(value: Any) -> Any:
    return value


def insert_rows(
    table: Table, rows: Sequence[dict[str, Any]], session: Session | None = None
) -> None:
    """Insert ``rows`` (column dicts, all with the same keys) into ``table``."""
    if not rows:
        return
    session = session or db.session()
    if not is_postgresql(session or db.session):
        session.execute(insert(table), list(rows))
        return
    connection = session.connection()
    dialect = connection.dialect
    given = list(rows[0])
    defaults = _defaults(table, set(given))
    names = given + list(defaults)
    types = [table.c[name].type.dialect_impl(dialect) for name in names]
    processors = [type_.bind_processor(dialect) for type_ in types]
    quote = dialect.identifier_preparer.quote
    statement = f"COPY {quote(table.name)} ({', '.join(quote(n) for n in names)}) FROM STDIN"
    raw = connection.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cursor, cursor.copy(statement) as copy:
        made = list(defaults.values())
        for row in rows:
            values = [row[name] for name in given] + [make() for make in made]
            copy.write_row(
                [
                    value if process is None or value is None else process(value)
                    for value, process in zip(values, processors, strict=True)
                ]
            )


def next_ids(table: Table, n: int, session: Session | None = None) -> list[int]:
    """``n`` ids drawn from the sequence of ``table``'s ``id`` (PostgreSQL), for rows that
    :func:`insert_rows` then writes with their ids: their children can name them without a
    ``RETURNING`` round trip."""
    session = session or db.session()
    return list(
        session.scalars(
            select(text(f"nextval(pg_get_serial_sequence('{table.name}', 'id'))")).select_from(
                text(f"generate_series(1, {int(n)})")
            )
        )
    )
