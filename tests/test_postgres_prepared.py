"""PostgreSQL connections keep their prepared statements through the rollback that ends every
read (``app/postgres.py``), and forget them when keeping them would break a statement."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from app.postgres import keep_prepared_statements
from tests.conftest import _postgres_schema_url

READ = text("SELECT x, m FROM moods WHERE m = :m ORDER BY x")
SETUP = (
    "CREATE TYPE mood AS ENUM ('calm', 'cross')",
    "CREATE TABLE moods (x int, m mood)",
    "INSERT INTO moods VALUES (1, 'calm'), (2, 'cross')",
)


@pytest.fixture
def engines(postgres_schema: str) -> Iterator[tuple[Engine, Engine]]:
    """The desk's engine (keeping prepared statements) and another connection's, as another
    node running a migration, on a schema of their own."""
    url = _postgres_schema_url(postgres_schema)
    desk, other = create_engine(url), create_engine(url)
    keep_prepared_statements(desk)
    try:
        yield desk, other
    finally:
        desk.dispose()
        with other.begin() as connection:
            connection.execute(text("DROP TABLE IF EXISTS moods"))
            connection.execute(text("DROP TYPE IF EXISTS mood"))
        other.dispose()


def prepared(connection: Connection) -> list[str]:
    rows = connection.execute(text("SELECT statement FROM pg_prepared_statements"))
    connection.rollback()
    return [" ".join(statement.split()) for statement in rows.scalars()]


def read_as_requests_do(connection: Connection, times: int = 6) -> list[int]:
    """``READ`` in ``times`` transactions, each ended by a rollback; the last one's ``x``."""
    for _ in range(times):
        got = list(connection.execute(READ, {"m": "calm"}).scalars())
        connection.rollback()
    return got


def build(engine: Engine) -> None:
    with engine.begin() as connection:
        for statement in SETUP:
            connection.execute(text(statement))


def test_a_statement_read_in_many_transactions_is_prepared_once(engines):
    desk, _other = engines
    build(desk)
    with desk.connect() as connection:
        assert read_as_requests_do(connection) == [1]
        assert "SELECT x, m FROM moods WHERE m = $1 ORDER BY x" in prepared(connection)


def test_a_rolled_back_schema_change_forgets_them(engines):
    desk, _other = engines
    with desk.connect() as connection:
        for statement in SETUP:
            connection.execute(text(statement))
        for _ in range(6):  # prepared inside the transaction that created the type
            connection.execute(READ, {"m": "calm"}).all()
        connection.rollback()  # the type and table are gone, the plan would point at them
        assert prepared(connection) == []
        build(desk)
        assert read_as_requests_do(connection) == [1]


def test_a_plan_made_stale_by_another_node_fails_once_then_is_prepared_afresh(engines):
    desk, other = engines
    build(desk)
    with desk.connect() as connection:
        assert read_as_requests_do(connection) == [1]
        with other.begin() as migration:  # the type re-created: the prepared plan is stale
            migration.execute(text("DROP TABLE moods"))
            migration.execute(text("DROP TYPE mood"))
        build(other)
        with pytest.raises(DBAPIError, match="cache lookup failed"):
            connection.execute(READ, {"m": "calm"})
        connection.rollback()
        assert read_as_requests_do(connection) == [1]


def test_the_desk_opens_such_connections(app, db, backend):
    if backend != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")
    from app.postgres import Connection as KeepingConnection

    raw = db.session.connection().connection.dbapi_connection
    assert isinstance(raw, KeepingConnection)
