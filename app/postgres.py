"""PostgreSQL connections: prepared statements for the views that gain from them, kept through
a rollback, and a ping only for a connection that sat idle.

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

Only the views marked :func:`prepared` run their statements prepared (a ticket's page, opening
one): light statements, each planned in longer than it runs. A prepared statement soon gets
PostgreSQL's generic plan, made without its values, and on the heavy pages (deep queue pages,
reports over a year of facts) that plan costs more than planning: an ``IN`` list of values is
rebuilt for every row scanned (a 100,000-row page took 44 ms instead of 29). Every other
request, job and command runs its statements unprepared, each planned for its values, as
before (:func:`prepare_in_marked_views` sets ``prepare_threshold`` as each transaction begins).

A connection is also pinged ("SELECT 1") when the pool hands it out only if it sat unused for
more than :data:`PING_AFTER` seconds (:func:`ping_idle_connections`; HikariCP's rule): one
used a moment ago is alive, and a ping before every request was one round trip in six on the
incident page. A dead one is replaced as SQLAlchemy's ``pool_pre_ping`` would replace it, and
a connection that died within that moment fails its statement, as one that dies during a
request does (the page answers 503 and the pool is renewed).

Bound by :func:`configure`, for an engine on PostgreSQL only.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

import psycopg
from flask import current_app, has_request_context, request
from psycopg import errors
from psycopg._preparing import PrepareManager
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import InvalidatePoolError

READS_AND_WRITES = ("SELECT", "WITH", "VALUES", "EXPLAIN", "SHOW", "INSERT", "UPDATE", "DELETE")
SAFE_STATEMENTS = frozenset(
    (*READS_AND_WRITES, "COPY", "SAVEPOINT", "RELEASE", "ROLLBACK", "SET", "LOCK")
)
"""The first words of statements a rollback of which leaves prepared statements valid: reads,
writes, savepoints, settings and locks. Any other (DDL, ``TRUNCATE``, ``DO``…) forgets them."""

PREPARE_AFTER = 5
"""Runs of a statement on a connection, in marked views, before psycopg prepares it (its own
default)."""

PING_AFTER = 0.5
"""Seconds a pooled connection may sit unused and still be handed out without a ping."""

RETURNED_AT = "deskgraph_returned_at"  # the connection record's info: when it was checked in

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


def configure(engine: Engine) -> None:
    """What the desk does on a PostgreSQL engine: everything this module describes (the
    prepared statements need psycopg 3, the driver the configuration names)."""
    if engine.dialect.driver == "psycopg":
        keep_prepared_statements(engine)
        prepare_in_marked_views(engine)
    ping_idle_connections(engine)


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


View = TypeVar("View", bound=Callable[..., Any])


def prepared(view: View) -> View:
    """Mark a view whose requests run their statements prepared (see the module): put it just
    under the route decorator."""
    view.prepared_statements = True  # type: ignore[attr-defined]
    return view


def prepare_in_marked_views(engine: Engine) -> None:
    """Let each transaction of ``engine`` prepare its statements when it runs in a request for
    a view marked :func:`prepared`, and run them unprepared otherwise."""

    @event.listens_for(engine, "begin")
    def choose(conn: Any) -> None:
        raw = conn.connection.dbapi_connection
        if isinstance(raw, psycopg.Connection):
            raw.prepare_threshold = PREPARE_AFTER if _in_marked_view() else None


def _in_marked_view() -> bool:
    if not has_request_context():
        return False
    view = current_app.view_functions.get(request.endpoint or "")
    return getattr(view, "prepared_statements", False)


def _mark(raw: Any) -> None:
    if isinstance(raw, Connection):
        raw.forget_prepared = True


def ping_idle_connections(engine: Engine, after: float = PING_AFTER) -> None:
    """Ping a connection the pool hands out when it was checked in more than ``after`` seconds
    ago (a new one is not pinged), instead of ``pool_pre_ping``'s ping at every checkout."""
    dialect = engine.dialect
    driver_error = dialect.loaded_dbapi.Error

    @event.listens_for(engine, "checkin")
    def returned(_raw: Any, record: Any) -> None:
        if record is not None:
            record.info[RETURNED_AT] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def ping(raw: Any, record: Any, _proxy: Any) -> None:
        returned_at = record.info.get(RETURNED_AT)
        if returned_at is None or time.monotonic() - returned_at <= after:
            return
        try:
            dialect.do_ping(raw)
        except driver_error as error:
            if dialect.is_disconnect(error, raw, None):  # as pool_pre_ping: renew the pool
                raise InvalidatePoolError(str(error)) from error
            raise
