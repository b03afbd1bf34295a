"""Migrations build the whole schema from empty, and the models agree with them, on both
databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from tests.conftest import build_app


def test_upgrade_from_empty_creates_the_schema_the_models_describe(fresh_database_url, tmp_path):
    from app.extensions import db

    app = build_app(fresh_database_url, tmp_path / "instance")
    with app.app_context():
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
        assert {"users", "groups", "role_grants", "audit_events"} <= tables
        assert set(db.metadata.tables) <= tables
        with db.engine.connect() as connection:
            differences = compare_metadata(
                MigrationContext.configure(connection, opts={"compare_type": True}), db.metadata
            )
        assert differences == [], f"models and migrations disagree: {differences}"
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        db.engine.dispose()
