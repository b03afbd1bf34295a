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

People, queues and categories: bumped by the application
--------------------------------------------------------
The incident form's choices (the queues, a queue's active people, the categories) are cached
too, but no trigger watches their tables (:data:`BUMPED`): a trigger updates the token row at
the transaction's first write and holds its lock until the commit, and a directory sync that
writes people for seconds would then hold up, or deadlock with, every sign-in or edit that
renames someone. The listeners above mark a transaction that writes what those lists show (a
queue, a membership, a category, a person's name or active flag, a person deleted), and just
before it commits :func:`_bump` (attached after every other ``before_commit`` listener) writes
a new random token: the lock is held for the commit only. The cost: a write of those tables by
raw SQL (psql, ``text()``) is not seen, and the lists show it after the next change the
application makes. (A transaction that saves an SLA policy holds the lock from its first write,
through the queue's recomputation, to its commit: such a commit of people or queues meanwhile
waits for it.)

Values must be immutable (a frozen matrix of read-only mappings, tuples of rows, a bool): every
request of the process shares them. ORM instances are never cached. The cache lives in
``app.extensions``, so two applications in one process (tests) behave like two nodes.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from functools import cache
from typing import Any, TypeVar

from flask import Flask, current_app, g, has_app_context, has_request_context
from sqlalchemy import BigInteger, ScalarSelect, Select, bindparam, inspect, select, update
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, mapped_column

from app.db import listen_once, unlisten
from app.extensions import Model, db

T = TypeVar("T")

EXTENSION_KEY = "settings_cache"
TOKEN = "settings_token"  # flask.g: the token read with the signed-in person
MARK = "settings_written"  # session.info: the transaction that wrote settings
BUMP = "settings_bump"  # session.info: ...and must write a new token as it commits

MIRRORED = frozenset(
    {"priority_scales", "priority_levels", "priority_cells", "routing_rules", "sla_policies"}
)
"""The tables whose rows the cached settings are read from: the migration's triggers bump
the token on every change of their rows."""
CASCADING = frozenset({"groups", "configuration_items"})
"""Tables whose deleted rows delete (or change) mirrored rows by a foreign key's cascade:
routing rules name a group and a CI, SLA policies a group."""
BUMPED: dict[str, tuple[str, ...] | None] = {
    "groups": None,
    "group_members": None,
    "incident_categories": None,
    "users": ("display_name", "is_active"),
}
"""Tables no trigger watches, whose writes make the application bump the token as the
transaction commits (see the module): any write, or for ``users`` a change of these columns
(an ``UPDATE`` that sets them) or a deletion: a new person belongs to no queue yet (the
membership bumps), and a sign-in's ``last_login_at`` changes nothing the lists show."""


class SettingsRevision(Model):
    """One row (id 1): the random token the triggers replace at every change of settings."""

    __tablename__ = "settings_revision"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[int] = mapped_column(BigInteger)


def token_column() -> ScalarSelect[int]:
    """The current token as a scalar subquery, for a column of a request's first statement
    (then :func:`remember` what it read)."""
    return _token_statement().scalar_subquery()


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
    fresh = token is None
    if fresh:
        token = session.scalar(_token_statement())
        if token is None:  # no row (a database emptied by hand): nothing to check against
            return load()
    store: dict[str, tuple[int, Any]] = current_app.extensions[EXTENSION_KEY]
    found = store.get(key)
    if found is not None and found[0] == token:
        return found[1]
    # A miss: tag the value with the token this transaction sees now, read before the value
    # (the request's may be older, and a write by raw SQL earlier in this transaction, which
    # no listener marks, has moved it to a token of its own that no commit will match).
    tag = token if fresh else session.scalar(_token_statement())
    value = load()
    if tag is not None:
        store[key] = (tag, value)
    return value


def token_at_hand() -> bool:
    """Whether :func:`cached` can check a value without a statement of its own: in a request
    that read the token with the signed-in person, in a transaction that wrote no settings."""
    return has_request_context() and TOKEN in g and not _marked(db.session())


@cache
def _token_statement() -> Select[int]:
    """The token's read, built once (a miss and every use outside a request run it)."""
    return select(SettingsRevision.token).where(SettingsRevision.id == 1)


def _marked(session: Session) -> bool:
    return MARK in session.info


def _mark(session: Session) -> None:
    """Mark the session's transaction (begun, or about to begin with this statement)."""
    session.info[MARK] = True


def _bump_now(session: Session) -> None:
    """Mark the transaction, and have :func:`_bump` write a new token as it commits."""
    session.info[MARK] = session.info[BUMP] = True


# What writing an instance of a class does, by class, worked out once per class from its
# mapper's tables: (marks when inserted or changed, marks when deleted, the bump's rule: None,
# "any" write, or the columns whose change bumps, a deletion too).
_MARKS: dict[type, tuple[bool, bool, Any]] = {}
NEW, CHANGED, DELETED = 0, 1, 2


def _marks(cls: type) -> tuple[bool, bool, Any]:
    found = _MARKS.get(cls)
    if found is None:
        mapper = getattr(cls, "__mapper__", None)
        tables = {getattr(t, "name", None) for t in mapper.tables} if mapper else set()
        bumped = [name for name in tables if name in BUMPED]
        rule = (BUMPED[bumped[0]] or "any") if bumped else None
        found = _MARKS[cls] = (
            bool(tables & MIRRORED),
            bool(tables & (MIRRORED | CASCADING)),
            rule,
        )
    return found


def _bumps(obj: Any, when: int, rule: Any) -> bool:
    if rule is None:
        return False
    if rule == "any" or when == DELETED:
        return True
    if when == NEW:
        return False  # a new person: in no queue until a membership, which bumps
    attrs = inspect(obj).attrs
    return any(attrs[name].history.has_changes() for name in rule)


def _after_flush(session: Session, _context: Any) -> None:
    if BUMP in session.info:
        return
    for objects, when in ((session.new, NEW), (session.dirty, CHANGED), (session.deleted, DELETED)):
        for obj in objects:
            written, deleted, rule = _marks(type(obj))
            if _bumps(obj, when, rule):
                _bump_now(session)
                return
            if deleted if when == DELETED else written:
                _mark(session)


def _after_bulk_statement(state: ORMExecuteState) -> None:
    """A bulk ``insert``/``update``/``delete`` (``delete(RoutingRule)``, a sync's
    ``insert(group_members)``) bypasses the flush."""
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    watched = MIRRORED | CASCADING if state.is_delete else MIRRORED
    table = getattr(state.statement, "table", None)
    names = {getattr(table, "name", None)}
    names.update(t.name for m in state.all_mappers for t in m.tables)
    if any(_bulk_bumps(state, BUMPED[str(name)]) for name in names & BUMPED.keys()):
        _bump_now(state.session)
    elif names & watched:
        _mark(state.session)


def _bulk_bumps(state: ORMExecuteState, rule: tuple[str, ...] | None) -> bool:
    """Whether a bulk statement on a :data:`BUMPED` table changes what the lists show: any
    write of a table without columns named, else a deletion or an ``UPDATE`` that sets one of
    them (when its columns cannot be told, it does)."""
    if rule is None or state.is_delete:
        return True
    if state.is_insert:
        return False
    values = getattr(state.statement, "_values", None) or {}
    ordered = getattr(state.statement, "_ordered_values", None) or ()
    keys = [*values, *(key for key, _value in ordered)]
    if not keys:  # the values come as parameters (an ORM bulk update by primary key)
        parameters = state.parameters
        rows = parameters if isinstance(parameters, list) else [parameters or {}]
        keys = [key for row in rows for key in row]
        if not keys:
            return True
    set_names = {getattr(key, "key", None) or getattr(key, "name", None) or key for key in keys}
    return bool(set_names & set(rule))


def _bump(session: Session) -> None:
    """``before_commit`` of the whole transaction: write a new token when it wrote what the
    cached lists show (:data:`BUMPED`; their writes are flushed first)."""
    if session.in_nested_transaction():
        return  # a SAVEPOINT released inside the transaction: wait for the real commit
    if BUMP not in session.info:
        session.flush()  # a pending change of a person or a queue would mark it now
    if session.info.pop(BUMP, None):
        session.execute(_bump_statement(), {"token": secrets.randbits(63)})


@cache
def _bump_statement() -> Any:
    return (
        update(SettingsRevision)
        .where(SettingsRevision.id == 1)
        .values(token=bindparam("token", type_=BigInteger))
        .execution_options(synchronize_session=False)
    )


def _after_commit(session: Session) -> None:
    if session.in_nested_transaction() or MARK not in session.info:
        return  # a SAVEPOINT released inside the transaction, or no settings written
    if has_app_context():
        g.pop(TOKEN, None)  # older than the settings just committed


def _after_transaction_end(session: Session, transaction: Any) -> None:
    if transaction.parent is None:  # committed, rolled back or closed; not a savepoint
        session.info.pop(MARK, None)
        session.info.pop(BUMP, None)


_LISTENERS: tuple[tuple[str, Callable[..., None]], ...] = (
    ("after_flush", _after_flush),
    ("do_orm_execute", _after_bulk_statement),
    ("after_commit", _after_commit),
    ("after_transaction_end", _after_transaction_end),
)


def install_bump() -> None:
    """Attach :func:`_bump` to ``db.session`` (idempotent). ``before_commit`` listeners run in
    the order they were attached: attach it after every other one (the application factory
    does, last), so that it writes the token once the hooks of ticket events (SLA records,
    report rollups, the search index, the outbox) are done, and holds the token row's lock
    for the commit only."""
    listen_once(db.session, (("before_commit", _bump),))


def reinstall_bump() -> None:
    """Detach :func:`_bump` and attach it again, last (after a benchmark or a test attached
    another ``before_commit`` listener)."""
    unlisten(db.session, (("before_commit", _bump),))
    install_bump()


def init_app(app: Flask) -> None:
    """Give ``app`` its own cache and attach the listeners to ``db.session`` (once per
    process: apps built again share them)."""
    app.extensions[EXTENSION_KEY] = {}
    listen_once(db.session, _LISTENERS)
