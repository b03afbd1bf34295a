"""Flask extensions, created unbound; ``create_app`` binds them with ``init_app``."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from app.db import Base

if TYPE_CHECKING:
    from flask import Flask


class LazyMigrate:
    """Flask-Migrate, imported when a migration is first asked for, not by every worker: it
    brings Alembic, Mako and Pygments (about 11 MB a process; issue 20).

    ``init_app`` leaves two stand-ins: ``app.extensions["migrate"]`` and the ``flask db``
    command group. The first use of either (``flask db ...``, ``flask_migrate.upgrade()``, the
    doctor) initialises Flask-Migrate on the application with the same options, and its own
    extension entry and command group replace them."""

    def init_app(self, app: Flask, db: SQLAlchemy, **options: Any) -> None:
        def load() -> Any:
            if isinstance(app.extensions.get("migrate"), _PendingMigrate):
                from flask_migrate import Migrate

                Migrate(app, db, **options)
            return app.extensions["migrate"]

        app.extensions["migrate"] = _PendingMigrate(load)
        app.cli.add_command(_MigrationCommands(load), name="db")


class _PendingMigrate:
    """``app.extensions["migrate"]`` until Flask-Migrate is loaded: any attribute read loads it."""

    def __init__(self, load: Callable[[], Any]) -> None:
        self._load = load

    def __getattr__(self, name: str) -> Any:
        return getattr(self._load(), name)


class _MigrationCommands(click.Group):
    """``flask db``: the first command line naming it loads Flask-Migrate, whose own group
    (with its options) then parses the line and runs the command."""

    def __init__(self, load: Callable[[], Any]) -> None:
        super().__init__("db", help="Perform database migrations.")
        self._load = load

    def make_context(
        self, info_name: str | None, args: list[str], parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:  # fmt: skip
        from flask_migrate.cli import db

        self._load()
        return db.make_context(info_name, args, parent=parent, **extra)


db = SQLAlchemy(model_class=Base)
migrate = LazyMigrate()
login_manager = LoginManager()
csrf = CSRFProtect()

# The base of every model. Flask-SQLAlchemy builds ``db.Model`` at run time from ``Base``, so a
# type checker cannot see it as a class; models subclass ``Model``, which it sees as ``Base``.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model
