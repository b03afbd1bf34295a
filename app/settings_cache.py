"""Desk settings cached per process, checked against the database's revision token.

The priority matrix, the routing rules and whether any SLA policy is active change a few times
a year, yet opening an incident, or committing any ticket event, read them. Several nodes run,
and an administrator who edits the matrix on one must see every node use it on its next
request: nothing a request needs may live in one node's memory unless it is checked against
the database. So each value is cached with the token it was read at, and used while the token
is the database's.

The token
---------
``settings_revision`` holds one row. Database triggers (migration ``6c2e9a4f7b13``) replace its
``token`` with a random 64-bit integer at every insert, update or delete of a row of the
:data:`MIRRORED` tables, whatever writes it: the ORM, a bulk statement, a foreign key's cascade
from a deleted group or CI, an import, psql. Random rather than a counter: a transaction that
bumps it and rolls back leaves a value no later commit takes again, so content cached under it
(read inside that transaction) can never match.

A request reads the token in the statement that loads the signed-in person
(:func:`token_column`, kept in ``flask.g`` by :func:`remember`), at no cost. Elsewhere (a
worker, a command, a request with nobody signed in) each :func:`cached` call reads it with its
own small statement: no saving there, and no risk.

Why a token read when the request began is a safe tag
-----------------------------------------------------
Content read later in the request is at least as new as that token (READ COMMITTED: every
statement sees every commit before it). A value read at a newer state and tagged with the
older token is newer than its tag says, never older; the next request reads the newer token,
finds no match and reads the value again: the worst case is one extra read. A value cached
while the token matches was read at that token or after it, and is what the database held
when the request began, or newer.

A transaction that writes the settings itself
---------------------------------------------
Its own changes are not behind the token it read at the start, and its uncommitted rows must
not be cached. A session ``after_flush`` listener marks the transaction when the flush
inserted, changed or deleted an instance of a mirrored model or deleted one of
:data:`CASCADING` (whose foreign keys' cascades reach the mirrored rows), and a
``do_orm_execute`` listener when a bulk ``insert``/``update``/``delete`` names one of those
tables. While marked, :func:`cached` reads and stores nothing; after the transaction commits,
the request's token is dropped (the rest of the request reads it afresh). Raw SQL through
``text()`` is not seen by the listeners: a transaction that writes the settings that way reads
the cached values (its triggers still bump the token for every other transaction).

Values must be immutable (a frozen matrix of read-only mappings, tuples of rows, a bool): every
request of the process shares them. ORM instances are never cached. The cache lives in
``app.extensions``, so two applications in one process (tests) behave like two nodes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, current_app, g, has_app_context, has_request_context
from sqlalchemy import BigInteger, ScalarSelect, select
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, mapped_column

from app.db import listen_once
from app.extensions import Model, db

T = TypeVar("T")

EXTENSION_KEY = "settings_cache"
TOKEN = "settings_token"  # flask.g: the token read with the signed-in person
MARK = "settings_written"  # session.info: the transaction that wrote settings

MIRRORED = frozenset(
    {"priority_scales", "priority_levels", "priority_cells", "routing_rules", "sla_policies"}
)
"""The tables whose rows the cached settings are read from: the migration's triggers bump
the token on every change of their rows."""
CASCADING = frozenset({"groups", "configuration_items"})
"""Tables whose deleted rows delete (or change) mirrored rows by a foreign key's cascade:
routing rules name a group and a CI, SLA policies a group."""


class SettingsRevision(Model):
    """One row (id 1): the random token the triggers replace at every change of settings."""

    __tablename__ = "settings_revision"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[int] = mapped_column(BigInteger)


def token_column() -> ScalarSelect[int]:
    """The current token as a scalar subquery, for a column of a request's first statement
    (then :func:`remember` what it read)."""
    return select(SettingsRevision.token).where(SettingsRevision.id == 1).scalar_subquery()


def remember(token: int | None) -> None:
    """Keep the token the request's first statement read, for the request's :func:`cached`
    calls (outside a request nothing is kept: an application context may live for hours)."""
    if has_request_context() and token is not None:
        g.setdefault(TOKEN, token)


def cached(key: str, load: Callable[[], T]) -> T:
    """The value ``load()`` returns (immutable), from this application's cache when it was
    stored at the current token; otherwise loaded and stored with that token. A transaction
    that wrote settings always loads and stores nothing."""
    session = db.session()
    if session.autoflush:
        session.flush()  # what the query in ``load`` would flush first (a pending rule...)
    if _marked(session):
        return load()
    token = g.get(TOKEN) if has_request_context() else None
    if token is None:
        token = session.scalar(_token_statement())
        if token is None:  # no row (a database emptied by hand): nothing to check against
            return load()
    store: dict[str, tuple[int, Any]] = current_app.extensions[EXTENSION_KEY]
    found = store.get(key)
    if found is not None and found[0] == token:
        return found[1]
    value = load()
    store[key] = (token, value)
    return value


def token_at_hand() -> bool:
    """Whether :func:`cached` can check a value without a statement of its own: in a request
    that read the token with the signed-in person, in a transaction that wrote no settings."""
    return has_request_context() and TOKEN in g and not _marked(db.session())


def _token_statement() -> Any:
    return select(SettingsRevision.token).where(SettingsRevision.id == 1)


def _marked(session: Session) -> bool:
    return MARK in session.info


def _mark(session: Session) -> None:
    """Mark the session's transaction (begun, or about to begin with this statement)."""
    session.info[MARK] = True


# Whether writing an instance of a class marks the transaction: (when inserted or changed,
# when deleted), by class, worked out once per class from its mapper's tables.
_MARKS: dict[type, tuple[bool, bool]] = {}


def _marks(cls: type) -> tuple[bool, bool]:
    found = _MARKS.get(cls)
    if found is None:
        mapper = getattr(cls, "__mapper__", None)
        tables = {getattr(t, "name", None) for t in mapper.tables} if mapper else set()
        found = _MARKS[cls] = (bool(tables & MIRRORED), bool(tables & (MIRRORED | CASCADING)))
    return found


def _after_flush(session: Session, _context: Any) -> None:
    if _marked(session):
        return
    for objects, when in ((session.new, 0), (session.dirty, 0), (session.deleted, 1)):
        for obj in objects:
            if _marks(type(obj))[when]:
                _mark(session)
                return


def _after_bulk_statement(state: ORMExecuteState) -> None:
    """A bulk ``insert``/``update``/``delete`` (``delete(RoutingRule)``) bypasses the flush."""
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    watched = MIRRORED | CASCADING if state.is_delete else MIRRORED
    table = getattr(state.statement, "table", None)
    names = {getattr(table, "name", None)}
    names.update(t.name for m in state.all_mappers for t in m.tables)
    if names & watched:
        _mark(state.session)


def _after_commit(session: Session) -> None:
    if session.in_nested_transaction() or MARK not in session.info:
        return  # a SAVEPOINT released inside the transaction, or no settings written
    if has_app_context():
        g.pop(TOKEN, None)  # older than the settings just committed


def _after_transaction_end(session: Session, transaction: Any) -> None:
    if transaction.parent is None:  # committed, rolled back or closed; not a savepoint
        session.info.pop(MARK, None)


_LISTENERS: tuple[tuple[str, Callable[..., None]], ...] = (
    ("after_flush", _after_flush),
    ("do_orm_execute", _after_bulk_statement),
    ("after_commit", _after_commit),
    ("after_transaction_end", _after_transaction_end),
)


def init_app(app: Flask) -> None:
    """Give ``app`` its own cache and attach the listeners to ``db.session`` (once per
    process: apps built again share them)."""
    app.extensions[EXTENSION_KEY] = {}
    listen_once(db.session, _LISTENERS)
