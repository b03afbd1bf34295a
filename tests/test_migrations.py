"""Migrations build the whole schema from empty, and the models agree with them, on both
databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from app.db import described_by_models
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
                MigrationContext.configure(
                    connection,
                    opts={"compare_type": True, "include_object": described_by_models},
                ),
                db.metadata,
            )
        assert differences == [], f"models and migrations disagree: {differences}"
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        db.engine.dispose()


INSERT_CI = (
    "INSERT INTO configuration_items (id, name, class_id, status, description, users_count,"
    " version, created_at, updated_at) VALUES (:i, :n, :c, 'in_service', '', 0, 1, :t, :t)"
)
INSERT_TICKET = (
    "INSERT INTO tickets (id, kind, number, short_description, description, state, channel,"
    " caller_id, impact, urgency, priority, opened_at, reassignment_count, reopen_count,"
    " version, created_at, updated_at)"
    " VALUES (:i, 'incident', :n, 'Broken', '', 'new', 'portal', 1, 3, 3, 5, :t, 0, 0, 1, :t, :t)"
)


def test_incident_ci_names_become_links_to_the_cis(fresh_database_url, tmp_path):
    """Each name is linked to the CIs of that name in any letter case; names of no CI are kept
    on the incident; a downgrade gives the names back."""
    from sqlalchemy import text

    from app.extensions import db

    app = build_app(fresh_database_url, tmp_path / "instance")
    with app.app_context():
        upgrade(revision="c9e2f4a6b8d1")  # the revision before incident_cis_by_id
        now = "2026-11-30 10:00:00+00:00"
        with db.engine.begin() as connection:
            run = connection.execute
            run(
                text(
                    "INSERT INTO users (id, username, display_name, is_active, source, version,"
                    " created_at, updated_at) VALUES (1, 'ann', 'Ann', true, 'local', 1, :t, :t)"
                ),
                {"t": now},
            )
            server = run(text("SELECT id FROM ci_classes WHERE name = 'server'")).scalar()
            service = run(
                text("SELECT id FROM ci_classes WHERE name = 'business_service'")
            ).scalar()
            for ci_id, name, class_id in (
                (10, "ERP-DB-01", server),
                (11, "Mail", server),
                (12, "mail", service),
            ):
                run(
                    text(INSERT_CI),
                    {"i": ci_id, "n": name, "c": class_id, "t": now},
                )
            for ticket in (100, 101):
                run(
                    text(INSERT_TICKET),
                    {"i": ticket, "n": f"INC{ticket}", "t": now},
                )
                run(text("INSERT INTO incidents (id) VALUES (:i)"), {"i": ticket})
            run(
                text(
                    "INSERT INTO incident_cis (incident_id, ci_name) VALUES"
                    " (100, 'erp-db-01'), (100, 'MAIL'), (100, 'old-fax'), (101, 'gone-01')"
                )
            )
            run(
                text(
                    "INSERT INTO groups (id, name, source, created_at, updated_at)"
                    " VALUES (7, 'Apps', 'local', :t, :t)"
                ),
                {"t": now},
            )
            run(
                text(
                    "INSERT INTO routing_rules (position, ci_name, group_id) VALUES"
                    " (10, 'Erp-Db-01', 7), (20, 'MAIL', 7), (30, 'old-fax', 7)"
                )
            )
        upgrade()
        with db.engine.connect() as connection:
            links = connection.execute(
                text("SELECT incident_id, ci_id FROM incident_cis ORDER BY 1, 2")
            ).all()
            kept = dict(
                connection.execute(text("SELECT id, unlinked_ci_names FROM incidents")).all()
            )
        assert [tuple(row) for row in links] == [(100, 10), (100, 11), (100, 12)]
        assert kept == {100: "old-fax", 101: "gone-01"}
        with db.engine.connect() as connection:
            rules = connection.execute(
                text("SELECT position, ci_id FROM routing_rules ORDER BY position, ci_id")
            ).all()
        # One rule per CI of the name; a rule on a name of no CI could never match again.
        assert [tuple(row) for row in rules] == [(10, 10), (20, 11), (20, 12)]

        downgrade(revision="c9e2f4a6b8d1")
        with db.engine.connect() as connection:
            names = connection.execute(
                text("SELECT incident_id, ci_name FROM incident_cis ORDER BY 1, 2")
            ).all()
        assert [tuple(row) for row in names] == [
            (100, "ERP-DB-01"),
            (100, "Mail"),
            (100, "mail"),
            (100, "old-fax"),
            (101, "gone-01"),
        ]
        with db.engine.connect() as connection:
            rules = connection.execute(
                text("SELECT position, ci_name FROM routing_rules ORDER BY position, ci_name")
            ).all()
        assert [tuple(row) for row in rules] == [(10, "ERP-DB-01"), (20, "Mail"), (20, "mail")]
        upgrade()
        db.engine.dispose()
