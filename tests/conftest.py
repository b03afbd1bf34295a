"""Shared fixtures.

Every test that uses ``app``, ``db`` or ``client`` runs twice: on SQLite and on PostgreSQL
(127.0.0.1:5432, database ``test``, in a schema of its own that is dropped afterwards). The
schema is built once per backend by running the migrations; each test then runs inside an
outer transaction that is rolled back, so tests see a clean database without rebuilding it.
A test marked ``@pytest.mark.demo(name)`` runs the same way on a database of its own that
holds a demo (``DEMOS``), loaded once per session instead of once per test.

If PostgreSQL is unreachable, its half of the suite is skipped with a loud warning, or fails
when ``DESKGRAPH_TEST_STRICT=1`` (the README's test command sets it).
"""

from __future__ import annotations

import contextvars
import os
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

POSTGRES_URL = os.environ.get(
    "DESKGRAPH_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
STRICT = os.environ.get("DESKGRAPH_TEST_STRICT") == "1"
PASSWORD = "correct horse battery"
CSRF_INPUT = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|'
    r'type="hidden" name="csrf_token" value="([^"]+)"'
)

_postgres_problem: list[str] = []

# Fixtures every test may use: a real SMTP server (``smtp_server``, and ``sending`` to point
# the test's application at it).
pytest_plugins = ["tests.smtp_server"]


def testing_environ(database_url: str, **extra: str) -> dict[str, str]:
    """The settings of a test application (the process environment is not read)."""
    return {
        "DESKGRAPH_ENV": "testing",
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
        "DESKGRAPH_PASSWORD_HASH": "pbkdf2:sha256:1000",
        "DESKGRAPH_LOG_LEVEL": "WARNING",
        **extra,
    }


class ServedClient(FlaskClient):
    """Flask's test client, reading and closing each answer as a WSGI server does once it sent
    it: what a request leaves for after its answer (``app.after_answer``) has run when the
    request returns."""

    def open(self, *args: Any, buffered: bool = True, **kwargs: Any) -> Any:
        return super().open(*args, buffered=buffered, **kwargs)


def build_app(database_url: str, instance_path: Path, **extra: str) -> Flask:
    from app import create_app

    app = create_app(testing_environ(database_url, **extra), instance_path=instance_path)
    app.test_client_class = ServedClient
    return app


def migrate(app: Flask) -> None:
    from flask_migrate import upgrade

    with app.app_context():
        upgrade()


def _postgres_schema_url(schema: str) -> str:
    return f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"


def _postgres_unreachable() -> str | None:
    try:
        engine = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
    except OperationalError as error:
        return str(error.orig).strip().splitlines()[0]
    return None


def _skip_or_fail_postgres(problem: str) -> None:
    message = f"PostgreSQL at {POSTGRES_URL} is unreachable: {problem}"
    if STRICT:
        pytest.fail(message + " (DESKGRAPH_TEST_STRICT=1)", pytrace=False)
    if not _postgres_problem:
        _postgres_problem.append(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def postgres_schema() -> Iterator[str]:
    """A fresh schema in the ``test`` database for this test process; dropped at the end."""
    problem = _postgres_unreachable()
    if problem:
        _skip_or_fail_postgres(problem)
    schema = f"dg_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield schema
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def fresh_database_url(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[str]:
    """An empty database of the current backend (a new SQLite file or a new PG schema), for
    tests that need committed data or an empty schema; dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
        return
    request.getfixturevalue("postgres_schema")  # skips or fails loudly when PG is down
    schema = f"dg_fresh_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield _postgres_schema_url(schema)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="session")
def database_url(
    backend: str, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'deskgraph.sqlite3'}"
    return _postgres_schema_url(request.getfixturevalue("postgres_schema"))


@pytest.fixture(scope="session")
def migrated_app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """One application per backend for the whole session, with the migrated schema."""
    application = build_app(database_url, tmp_path_factory.mktemp("instance"))
    migrate(application)
    yield application
    from app.extensions import db as _db

    with application.app_context():
        _db.engine.dispose()


def _demo_organisation_and_cmdb(scale: float = 1.0) -> Any:
    from app.cmdb.demo import load_cmdb
    from app.demo import load_organisation, read_demo_file, read_organisation

    load_organisation(read_organisation())
    return load_cmdb(read_demo_file("cmdb.json"), scale=scale)


def _demo_catalog() -> Any:
    from app.requests.demo import load_catalog

    _demo_organisation_and_cmdb()
    return load_catalog()


def _demo_everything() -> Any:
    from app.demo import load_demo
    from app.timeutils import utc_now

    return load_demo(utc_now())


SMALL_DEMO_SCALE = 0.05
"""The scale of the ``cmdb_small`` demo: the core with few endpoints around it."""

DEMOS = {
    "full": _demo_everything,
    "catalog": _demo_catalog,  # organisation, full CMDB and catalog, no requests
    "cmdb_small": lambda: _demo_organisation_and_cmdb(scale=SMALL_DEMO_SCALE),
}
"""What ``@pytest.mark.demo(name)`` loads: the loader's report is the ``demo_report``."""


@pytest.fixture(scope="session")
def demo_apps(
    backend: str, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[Any]:
    """``demo_apps(name)`` → (application, report): an application on a database of its own
    holding the demo ``name`` (see DEMOS), loaded and committed on first use and kept for the
    session (per backend and worker), so demo tests share one load instead of one each."""
    from app.extensions import db as _db

    if backend == "postgresql":
        request.getfixturevalue("postgres_schema")  # skips or fails loudly when PG is down
    built: dict[str, tuple[Flask, Any]] = {}
    schemas: list[str] = []

    def get(name: str) -> tuple[Flask, Any]:
        if name not in built:
            folder = tmp_path_factory.mktemp(f"demo-{name}")
            if backend == "sqlite":
                url = f"sqlite:///{folder / 'demo.sqlite3'}"
            else:
                schemas.append(f"dg_demo_{uuid.uuid4().hex[:10]}")
                _run_admin(f'CREATE SCHEMA "{schemas[-1]}"')
                url = _postgres_schema_url(schemas[-1])
            application = build_app(url, folder / "instance")
            migrate(application)
            with application.app_context():
                report = DEMOS[name]()
                _db.session.commit()
                _db.session.remove()
            built[name] = (application, report)
        return built[name]

    yield get
    for application, _ in built.values():
        with application.app_context():
            _db.engine.dispose()
    for schema in schemas:
        _run_admin(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def _run_admin(statement: str) -> None:
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(statement))
    admin.dispose()


def _demo_name(request: pytest.FixtureRequest) -> str | None:
    marker = request.node.get_closest_marker("demo")
    return marker.args[0] if marker else None


@pytest.fixture
def app(migrated_app: Flask, request: pytest.FixtureRequest) -> Flask:
    """The session's application with the migrated schema, or, for a test marked
    ``@pytest.mark.demo(name)``, the one whose database holds that demo."""
    name = _demo_name(request)
    if name is None:
        return migrated_app
    return request.getfixturevalue("demo_apps")(name)[0]


@pytest.fixture
def demo_report(app: Flask, demo_apps: Any, request: pytest.FixtureRequest) -> Any:
    """What the loader of the test's ``@pytest.mark.demo(name)`` returned."""
    name = _demo_name(request)
    assert name, "demo_report needs @pytest.mark.demo(name)"
    return demo_apps(name)[1]


@pytest.fixture
def db(app: Flask) -> Iterator[Any]:
    """The database inside a transaction rolled back after the test.

    The app's engine is swapped for one connection holding an outer transaction; sessions
    join it with SAVEPOINTs, so code under test may commit and roll back freely.
    """
    from app.extensions import db as _db

    with app.app_context():
        engines = _db.engines
        engine = engines[None]
        connection = engine.connect()
        transaction = connection.begin()
        engines[None] = connection
        _db.session.session_factory.kw["join_transaction_mode"] = "create_savepoint"
        _db.session.remove()
        try:
            yield _db
        finally:
            _db.session.remove()
            transaction.rollback()
            connection.close()
            engines[None] = engine


class Client:
    """A test client that signs in and sends CSRF tokens like a browser does.

    Each request runs in an empty ``contextvars`` context, so it gets its own application
    context, ``g`` and database session, as in a server, instead of reusing the test's.
    """

    def __init__(self, flask_client: FlaskClient) -> None:
        self._client = flask_client
        self._token: str | None = None

    def open(self, method: str, url: str, **kwargs: Any) -> Any:
        response = contextvars.Context().run(self._client.open, url, method=method, **kwargs)
        self._remember_token(response)
        return response

    def get(self, url: str, **kwargs: Any) -> Any:
        return self.open("GET", url, **kwargs)

    def _remember_token(self, response: Any) -> None:
        if response.mimetype == "text/html":
            match = CSRF_INPUT.search(response.get_data(as_text=True))
            if match:
                self._token = match.group(1) or match.group(2)

    def csrf_token(self) -> str:
        if self._token is None:
            self.get("/login")
        if self._token is None:  # signed in: every page carries the sign-out form's token
            self.get("/account")
        assert self._token, "no CSRF token found"
        return self._token

    def post(
        self, url: str, data: dict[str, Any] | None = None, *, csrf: bool = True, **kwargs: Any
    ) -> Any:
        form = dict(data or {})
        if csrf:
            form.setdefault("csrf_token", self.csrf_token())
        return self.open("POST", url, data=form, **kwargs)

    def login(self, username: str, password: str = PASSWORD) -> Any:
        self._token = None
        self.get("/login")  # fresh token for the anonymous session
        response = self.post("/login", {"username": username, "password": password})
        self._token = None  # the session was renewed on sign-in
        return response


@pytest.fixture
def client(app: Flask, db: Any) -> Client:
    return Client(app.test_client())


@pytest.fixture
def make_user(db: Any) -> Any:
    """Builder: ``make_user("ann", roles=["agent"], password=...)`` → a committed User."""
    from app.auth import services
    from app.auth.models import Role

    def make(
        username: str | None = None,
        *,
        roles: list[str] | tuple[str, ...] = ("employee",),
        password: str | None = PASSWORD,
        **fields: Any,
    ) -> Any:
        username = username or f"user{uuid.uuid4().hex[:8]}"
        fields.setdefault("display_name", username.title())
        user = services.create_local_user(
            username=username, password=password, roles=[Role(r) for r in roles], **fields
        )
        db.session.commit()
        return user

    return make


@pytest.fixture
def ci_class(db) -> Any:
    """``ci_class("server")`` → the seeded class of that name."""
    from sqlalchemy import select

    from app.cmdb.models import CIClass

    def get(name: str) -> Any:
        found = db.session.scalar(select(CIClass).where(CIClass.name == name))
        assert found is not None, f"no class {name}"
        return found

    return get


@pytest.fixture
def service_kinds(db, ci_class) -> None:
    """Two kinds of business service an administrator added: ``saas_service`` under
    ``business_service``, and ``chat_service`` under ``saas_service``."""
    from app.cmdb.models import CIClass

    saas = CIClass(
        name="saas_service", label="SaaS service", parent_id=ci_class("business_service").id
    )
    db.session.add(saas)
    db.session.flush()
    db.session.add(CIClass(name="chat_service", label="Chat service", parent_id=saas.id))
    db.session.commit()


@pytest.fixture
def make_ci(db, ci_class) -> Any:
    """``make_ci("erp-app-01", "application", **fields)`` → a committed CI."""
    from app.cmdb import services

    def make(name: str, class_name: str = "application", attributes=None, **fields: Any) -> Any:
        ci = services.create_ci(
            actor=None,
            ci_class=ci_class(class_name),
            attribute_values=attributes,
            name=name,
            **fields,
        )
        db.session.commit()
        return ci

    return make


@pytest.fixture
def relate(db) -> Any:
    """``relate(source, "runs_on", target)`` → a committed relation."""
    from app.cmdb import services

    def make(source: Any, type_name: str, target: Any) -> Any:
        relation = services.relate(source, target, type_name, actor=None)
        db.session.commit()
        return relation

    return make


@pytest.fixture
def signed_in(client: Client, make_user: Any) -> Any:
    """Builder: a client signed in as a new user holding ``roles``."""

    def sign_in(*roles: str, username: str | None = None) -> tuple[Client, Any]:
        user = make_user(username, roles=roles)
        response = client.login(user.username)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return client, user

    return sign_in


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _postgres_problem:
        terminalreporter.section("PostgreSQL NOT TESTED", sep="!", red=True, bold=True)
        terminalreporter.line(_postgres_problem[0], red=True, bold=True)
        terminalreporter.line(
            "Half of the suite was skipped. Start PostgreSQL (see README) and run again.",
            red=True,
            bold=True,
        )


@contextmanager
def count_queries() -> Iterator[list[str]]:
    """Collect the SQL statements run inside the block (savepoint bookkeeping left out), for
    tests that bound a page's queries whatever the number of rows."""
    statements: list[str] = []

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
            statements.append(statement)

    event.listen(Engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(Engine, "before_cursor_execute", before)


@pytest.fixture(params=["database", "directory"])
def attachment_store(
    request: pytest.FixtureRequest, app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> str:
    """Run the test with each attachment backend (``ATTACHMENT_STORE``): the blobs in the
    database, or files in a directory of the test's own (``ATTACHMENTS_DIR``)."""
    monkeypatch.setitem(app.config, "ATTACHMENT_STORE", request.param)
    monkeypatch.setitem(app.config, "ATTACHMENTS_DIR", str(tmp_path / "attachments"))
    return request.param
