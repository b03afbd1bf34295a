"""The application factory: the only place where the application is assembled
(configuration, extensions, blueprints, error handlers, template helpers, CLI commands)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix

from app import commit_writes, settings_cache
from app.after_answer import AfterAnswer
from app.config import load_config
from app.extensions import csrf, db, login_manager, migrate

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(
    environ: Mapping[str, str] | None = None,
    *,
    instance_path: str | Path | None = None,
    **overrides: Any,
) -> Flask:
    """Build a Deskgraph application.

    :param environ: settings to use instead of the process environment and ``.env`` (tests).
    :param instance_path: where the SQLite database and generated secret key live.
    :param overrides: Flask config values applied last (tests).
    :raise app.config.ConfigError: a setting is invalid or unsafe for production.
    """
    app = Flask(
        __name__,
        instance_path=str(instance_path or PROJECT_ROOT / "instance"),
        instance_relative_config=True,
    )
    from app.forms import DeskRequest

    app.request_class = DeskRequest
    app.config.from_mapping(load_config(Path(app.instance_path), environ))
    app.config.update(overrides)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    from app.ops import observability

    observability.configure_logging(app.config["LOG_LEVEL"], app.config["LOG_FORMAT"])
    observability.init_app(app)
    # Runs what a request leaves for after its answer (an outbox job handed to Redis).
    app.wsgi_app = AfterAnswer(app.wsgi_app)  # type: ignore[method-assign]
    if app.config["TRUSTED_PROXIES"]:
        n = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]

    _init_extensions(app)
    _connect_signals()
    _register_blueprints(app)

    from app.errors import register_error_handlers
    from app.ui import init_templates

    register_error_handlers(app)
    init_templates(app)

    from app.cli import register_commands

    register_commands(app)
    return app


def _init_extensions(app: Flask) -> None:
    from flask_babel import lazy_gettext

    from app.i18n import locale

    locale.init_app(app)
    db.init_app(app)
    settings_cache.init_app(app)
    migrate.init_app(
        app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True, compare_type=True
    )
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = lazy_gettext("Please sign in to continue.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            _configure_sqlite(db.engine)
        elif db.engine.dialect.name == "postgresql":
            from app import postgres

            postgres.configure(db.engine)


def _configure_sqlite(engine: Engine) -> None:
    """Foreign keys on, WAL, and transactions that SQLAlchemy owns (so SAVEPOINT works on
    pysqlite). Transactions begin IMMEDIATE: concurrent writers queue on the busy timeout
    instead of failing with "database is locked" when a read turns into a write; readers are
    not blocked in WAL mode. (PostgreSQL is the production database for real concurrency.)"""

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        try:  # the reports' duration buckets need ln and floor (SQLite 3.35+ math functions)
            cursor.execute("SELECT ln(2.0), floor(2.5)")
        except Exception:  # a build without them: the same functions in Python
            dbapi_connection.create_function("ln", 1, sqlite_ln, deterministic=True)
            dbapi_connection.create_function("floor", 1, sqlite_floor, deterministic=True)
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def sqlite_ln(value: float | None) -> float | None:
    """SQLite's ``ln``: NULL for NULL and for what has no logarithm."""
    return math.log(value) if value is not None and value > 0 else None


def sqlite_floor(value: float | None) -> float | None:
    return float(math.floor(value)) if value is not None else None


def _connect_signals() -> None:
    """Connect each domain's receivers to what another domain does: the signals it sends
    (each sending domain names them in its ``signals`` module and imports none of its
    listeners) and the session's events. Connections are per process and idempotent:
    building another app adds nothing."""
    from app.auth import signals as auth_signals
    from app.cmdb import signals as cmdb_signals
    from app.cmdb import users_groups
    from app.incidents import cis as incident_cis
    from app.incidents import signals as incident_signals
    from app.kb import hooks as kb_hooks
    from app.notifications import hooks as notification_hooks
    from app.notifications import signals as notification_signals
    from app.outbox import services as outbox
    from app.reports.rollups import hooks as report_hooks
    from app.requests import sla_answers
    from app.search import index as search_index
    from app.sla import hooks as sla_hooks
    from app.sla import signals as sla_signals
    from app.surveys import hooks as survey_hooks
    from app.surveys import mail as survey_mail
    from app.webhooks import hooks as webhook_hooks

    auth_signals.memberships_changed.connect(users_groups.on_memberships_changed)
    auth_signals.people_changed.connect(users_groups.on_people_changed)
    cmdb_signals.ci_open_incidents.connect(incident_cis.open_incidents_on)
    incident_signals.reported.connect(kb_hooks.report_sent)
    sla_signals.catalog_items.connect(sla_answers.catalog_items)
    sla_signals.ticket_catalog_items.connect(sla_answers.ticket_catalog_items)
    notification_signals.mail_context.connect(survey_mail.mail_context)
    survey_hooks.install()  # session events: a survey row in the transaction that resolves
    notification_hooks.install()  # session events: one fan-out message per commit of events
    webhook_hooks.install()  # session events: one webhook fan-out per commit of events
    sla_hooks.install()  # session events: SLA records follow every commit of ticket events
    report_hooks.install()  # session events: report facts and daily rollups follow each commit
    _install_search(search_index)
    # After the hooks: writes, just before each commit, the outbox messages that they asked
    # for in their own ``before_commit`` (one statement for all of them).
    outbox.install()
    # First of all and after the outbox's writer: the hooks' last inserts wait for the commit
    # and go in one statement with the outbox's (on PostgreSQL).
    commit_writes.install(db.session)
    # After every other ``before_commit`` listener: the token row is locked for the commit only.
    settings_cache.install_bump()


def _install_search(search_index: Any) -> None:
    """The search index's sources, each described by its domain (session events keep their
    documents in step with every commit)."""
    from app.auth import search_source as people
    from app.cmdb import search_source as cis
    from app.kb import search_source as articles
    from app.requests.catalog import search_source as catalog
    from app.tickets import search_source as tickets

    search_index.install(tickets.SOURCE, cis.SOURCE, people.SOURCE, catalog.SOURCE, articles.SOURCE)


def _register_blueprints(app: Flask) -> None:
    """Each domain registers its own blueprint and the view modules that add routes to it
    (each domain's permissions module registers its rules when its views are imported)."""
    from app import (
        admin,
        alerts,
        api,
        auth,
        cmdb,
        files,
        imports,
        incidents,
        kb,
        mail,
        metrics,
        notifications,
        ops,
        portal,
        reports,
        requests,
        search,
        sla,
        surveys,
        webhooks,
    )

    domains = (
        ops,
        auth,
        portal,
        incidents,
        requests,
        cmdb,
        sla,
        mail,
        notifications,
        surveys,
        admin,
        files,
        search,
        kb,
        api,
        alerts,
        webhooks,
        imports,
        reports,
        metrics,
    )
    for domain in domains:
        domain.register(app)
