"""PostgreSQL connections (``app/postgres.py``) keep their prepared statements through the
rollback that ends every read, and forget them when keeping them would break a statement; the
pool pings a connection before use only when it sat idle."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, OperationalError

from app.postgres import (
    keep_prepared_statements,
    ping_idle_connections,
    prepare_in_marked_views,
    prepared,
)
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


def prepared_now(connection: Connection) -> list[str]:
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
        assert "SELECT x, m FROM moods WHERE m = $1 ORDER BY x" in prepared_now(connection)


def test_a_rolled_back_schema_change_forgets_them(engines):
    desk, _other = engines
    with desk.connect() as connection:
        for statement in SETUP:
            connection.execute(text(statement))
        for _ in range(6):  # prepared inside the transaction that created the type
            connection.execute(READ, {"m": "calm"}).all()
        connection.rollback()  # the type and table are gone, the plan would point at them
        assert prepared_now(connection) == []
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


def test_only_the_views_marked_prepared_prepare_their_statements(engines):
    desk, _other = engines
    build(desk)
    prepare_in_marked_views(desk)
    app = Flask(__name__)

    def read() -> str:
        with desk.connect() as connection:
            return str(list(connection.execute(READ, {"m": "calm"}).scalars()))

    app.add_url_rule("/plain", "plain", lambda: read())
    app.add_url_rule("/marked", "marked", prepared(lambda: read()))
    client = app.test_client()
    for _ in range(6):
        assert client.get("/plain").text == "[1]"
    with desk.connect() as connection:
        assert prepared_now(connection) == []  # planned for its values every time, as before
    for _ in range(6):
        assert client.get("/marked").text == "[1]"
    with desk.connect() as connection:
        assert "SELECT x, m FROM moods WHERE m = $1 ORDER BY x" in prepared_now(connection)


def test_the_desk_opens_such_connections(app, db, backend):
    if backend != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")
    from app.postgres import Connection as KeepingConnection

    raw = db.session.connection().connection.dbapi_connection
    assert isinstance(raw, KeepingConnection)
    assert raw.prepare_threshold is None  # outside a view marked @prepared: nothing prepared


def backend_pid(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT pg_backend_pid()")).scalar_one())


def terminate(other: Engine, pid: int) -> None:
    with other.begin() as connection:
        connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})


@pytest.fixture
def pooled(postgres_schema: str) -> Iterator[Engine]:
    engine = create_engine(_postgres_schema_url(postgres_schema), pool_size=1, max_overflow=0)
    yield engine
    engine.dispose()


def test_a_connection_that_sat_idle_is_pinged_and_replaced_when_dead(pooled, engines):
    _desk, other = engines
    ping_idle_connections(pooled, after=0.0)
    dead = backend_pid(pooled)
    terminate(other, dead)  # a database restart, a firewall dropping idle connections
    assert backend_pid(pooled) != dead  # a new connection, and the request never knew


def test_a_connection_used_a_moment_ago_is_handed_out_unpinged(pooled, engines):
    _desk, other = engines
    ping_idle_connections(pooled, after=60.0)
    dead = backend_pid(pooled)
    terminate(other, dead)  # dies within the moment: its next statement fails, as mid-request
    with pytest.raises(OperationalError):
        backend_pid(pooled)
    assert backend_pid(pooled) != dead  # the pool renewed it


def test_opening_an_incident_runs_only_statements_psycopg_converts_once(app, db, backend):
    """psycopg converts a statement's placeholders in Python and remembers it only up to a
    length and a number of parameters: the report writes of an opening (one statement of
    about 4,800 characters) were converted again at every opening."""
    if backend != "postgresql":
        pytest.skip("psycopg's conversion is PostgreSQL's")
    import psycopg._queries
    from sqlalchemy import event

    from app.auth import services as people
    from app.auth.models import Role
    from app.incidents.services import open_incident

    caller = people.create_local_user(
        username="converted", password=None, display_name="Conny", roles=[Role("employee")]
    )
    db.session.commit()
    ran: list[tuple[str, int]] = []

    def before(_conn, _cursor, statement, parameters, _context, _many) -> None:
        ran.append((statement, len(parameters or ())))

    engine = db.session.get_bind()
    event.listen(engine, "before_cursor_execute", before)
    try:
        open_incident(caller=caller, opened_by=caller, short_description="Teams crashes")
        db.session.commit()
    finally:
        event.remove(engine, "before_cursor_execute", before)
    assert any("INSERT INTO report_ticket_facts" in statement for statement, _ in ran)
    too_long = [
        statement[:60]
        for statement, parameters in ran
        if len(statement) > psycopg._queries.MAX_CACHED_STATEMENT_LENGTH
        or parameters > psycopg._queries.MAX_CACHED_STATEMENT_PARAMS
    ]
    assert too_long == []
