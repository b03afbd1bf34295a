"""The declarative base, the UTC datetime type and the mixins every model shares."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import DateTime, Enum, Executable, MetaData, UniqueConstraint, event
from sqlalchemy.dialects import postgresql as pg_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.engine import CursorResult, Dialect
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    SessionTransaction,
    mapped_column,
    registry,
    scoped_session,
)
from sqlalchemy.types import TypeDecorator

from app.timeutils import utc_now

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# Objects a migration creates for one dialect's full-text machinery (the search index's
# tsvector columns, GIN indexes, FTS5 tables and their shadow tables) are named with this
# prefix; the models do not describe them, so the model comparison leaves them out.
DIALECT_ONLY_PREFIX = "fts_"


def described_by_models(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """Alembic's ``include_object``: everything but the dialect-only objects above."""
    return not (reflected and compare_to is None and (name or "").startswith(DIALECT_ONLY_PREFIX))


def unique(*columns: str, field: str, message: str) -> UniqueConstraint:
    """A unique constraint (named by the convention above) that a person can break by typing
    a name already in use: when the database refuses a row over it, the request answers 422
    with ``message`` on the form's ``field`` (see :func:`app.errors.field_error`), not 409."""
    return UniqueConstraint(*columns, info={"field": field, "message": message})


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always returned timezone-aware.

    PostgreSQL keeps it as ``timestamptz``; SQLite stores the UTC wall time and hands back a
    naive value, which is marked UTC again on the way out. Naive values are refused on the way
    in: a time without a zone is a bug waiting for a daylight-saving change.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; pass an aware datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime()},
    )


class TimestampMixin:
    """``created_at`` and ``updated_at``, set by the application in UTC."""

    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)


def str_enum(enum_cls: type, name: str) -> Enum:
    """A portable enum column: stored as its string values, guarded by a named CHECK."""
    return Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


def bulk(session: Session | scoped_session[Any], statement: Executable) -> int:
    """Run a bulk ``UPDATE`` or ``DELETE`` in ``session``'s transaction, without synchronising
    the objects the session holds; how many rows it touched. For housekeeping over rows no
    request has loaded (the purges)."""
    result = session.execute(statement, execution_options={"synchronize_session": False})
    return int(cast(CursorResult[Any], result).rowcount or 0)


def is_postgresql(session: Session | scoped_session[Any]) -> bool:
    """Whether ``session`` talks to PostgreSQL (the production database) rather than SQLite,
    for the few statements each dialect words its own way."""
    return session.get_bind().dialect.name == "postgresql"


def upsert(
    session: Session | scoped_session[Any], table: Any
) -> pg_dialect.Insert | sqlite_dialect.Insert:
    """``INSERT`` into ``table`` that takes ``on_conflict_do_update`` / ``_do_nothing``: each
    database has its own construct, worded alike."""
    return (pg_dialect if is_postgresql(session) else sqlite_dialect).insert(table)


def listen_once(target: Any, listeners: Iterable[tuple[str, Callable[..., Any]]]) -> None:
    """Attach each ``(event name, listener)`` to ``target`` (the application's session) unless
    it is attached already: apps built again in one process share the listeners."""
    for name, listener in listeners:
        if not event.contains(target, name, listener):
            event.listen(target, name, listener)


def unlisten(target: Any, listeners: Iterable[tuple[str, Callable[..., Any]]]) -> None:
    """Detach each ``(event name, listener)`` that is attached to ``target``
    (:func:`listen_once` attaches them again, last)."""
    for name, listener in listeners:
        if event.contains(target, name, listener):
            event.remove(target, name, listener)


def rolled_back_savepoint(previous_transaction: SessionTransaction) -> SessionTransaction | None:
    """For ``after_soft_rollback``: the SAVEPOINT that was rolled back, if one was. A flush
    that fails inside a SAVEPOINT rolls it back through the flush's own subtransaction, which
    is not nested: the SAVEPOINT is the nearest nested transaction above it."""
    rolled_back: SessionTransaction | None = previous_transaction
    while rolled_back is not None and not rolled_back.nested:
        rolled_back = rolled_back.parent
    return rolled_back


def inside(transaction: SessionTransaction | None, savepoint: SessionTransaction) -> bool:
    """Whether ``transaction`` is ``savepoint`` or began inside it."""
    while transaction is not None:
        if transaction is savepoint:
            return True
        transaction = transaction.parent
    return False
