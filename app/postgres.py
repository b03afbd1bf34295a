"""PostgreSQL connections that keep their prepared statements through a rollback.

psycopg prepares a statement on the server once it has run five times on a connection
(``prepare_threshold``), and PostgreSQL then parses and plans it no more: the incident page's
main statement spends 0.8 ms in the planner and 0.1 ms running. But psycopg forgets every
prepared statement on ROLLBACK, and every request that only reads ends with one (the session
gives its connection back rolled back), so the desk's statements were never prepared.

:class:`Connection` keeps them through a rollback. psycopg forgets them there for one reason: a
statement prepared against a table or type that the rollback took away fails later with "cache
lookup failed". So they are still forgotten after a transaction that ran anything but reads,
writes and savepoints (a ``CREATE``, ``ALTER``, ``DROP``, ``TRUNCATE``…: only migrations and
tests do that), and after a statement failed the way a plan made stale by another node's
migration fails (the next rollback forgets them, and the next request prepares afresh).

Bound by :func:`keep_prepared_statements`, for an engine on PostgreSQL only.
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import errors
from psycopg._preparing import PrepareManager
from sqlalchemy import event
from sqlalchemy.engine import Engine

SAFE_STATEMENTS = frozenset(
    ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH", "SAVEPOINT", "RELEASE", "ROLLBACK", "SET")
)
"""The first words of statements a rollback of which leaves prepared statements valid: reads,
writes, savepoints and settings. Any other (DDL, ``DO``, ``LOCK``…) forgets them."""

STALE_PLANS = (errors.InternalError_, errors.FeatureNotSupported)
"""What a prepared statement raises when another connection changed what it was planned on:
"cache lookup failed for type …", "cached plan must not change result type"."""


class Connection(psycopg.Connection[Any]):
    """A psycopg connection whose rollback keeps the prepared statements (see the module)."""

    forget_prepared = False
    """Set when a transaction changed the schema or a statement may have met a stale plan: the
    next rollback forgets the prepared statements, as psycopg's always does."""

    def rollback(self) -> None:
        kept = getattr(self, "_prepared", None)
        if self.forget_prepared or not isinstance(kept, PrepareManager):
            self.forget_prepared = False
            super().rollback()
            return
        # psycopg clears (and deallocates on the server) what it finds in ``_prepared``: let it
        # clear an empty manager, then put ours back.
        self._prepared = PrepareManager()
        try:
            super().rollback()
        finally:
            self._prepared = kept


def keep_prepared_statements(engine: Engine) -> None:
    """Make ``engine`` (PostgreSQL, psycopg) open :class:`Connection` s and tell them which
    transactions changed the schema."""

    @event.listens_for(engine, "do_connect")
    def connect(_dialect: Any, _record: Any, cargs: Any, cparams: Any) -> Connection:
        return Connection.connect(*cargs, **cparams)

    @event.listens_for(engine, "before_cursor_execute")
    def note_schema_changes(
        _conn: Any, cursor: Any, statement: str, _params: Any, _context: Any, _many: bool
    ) -> None:
        words = statement[:40].split(None, 1)  # the first word, without copying the statement
        if not words or words[0].upper() not in SAFE_STATEMENTS:
            _mark(cursor.connection)

    @event.listens_for(engine, "handle_error")
    def note_stale_plans(context: Any) -> None:
        if isinstance(context.original_exception, STALE_PLANS) and context.connection is not None:
            raw = context.connection.connection.dbapi_connection
            if raw is not None:
                _mark(raw)


def _mark(raw: Any) -> None:
    if isinstance(raw, Connection):
        raw.forget_prepared = True
