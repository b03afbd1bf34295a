"""The desk settings' revision: ``settings_revision``, one row whose ``token`` database
triggers replace with a random 64-bit integer whenever a row of the priority matrix, the
routing rules or the SLA policies is inserted, updated or deleted, by any path (the ORM, a
bulk statement, a foreign key's cascade from a deleted group or CI, psql). Processes cache
those settings tagged with the token (``app.settings_cache``).

Random, not a counter: a transaction that bumps it and rolls back must not leave a value that
a later commit, with other content, could take again.

PostgreSQL: one plpgsql function, statement-level triggers that see the statement's rows
(a transition table, so that a cascade that deleted no rule does not bump); SQLite: row
triggers (its ``random()`` is a 64-bit integer). A later migration that rebuilds one of these
tables on SQLite (Alembic's batch mode copies it) must create its triggers again: a test checks
that every one of them is there at the head (tests/test_settings_cache.py).

Revision ID: 6c2e9a4f7b13
Revises: b3e5d7a9c1f4
Create Date: 2026-12-07 19:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "6c2e9a4f7b13"
down_revision = "b3e5d7a9c1f4"
branch_labels = None
depends_on = None

# As app.settings_cache.MIRRORED: the tables whose rows the cached settings are read from.
TABLES = ("priority_scales", "priority_levels", "priority_cells", "routing_rules", "sla_policies")
EVENTS = ("insert", "update", "delete")
# A random 64-bit integer: the first 16 hex digits of an MD5 of a random UUID.
PG_RANDOM = "('x' || substr(md5(gen_random_uuid()::text), 1, 16))::bit(64)::bigint"


def upgrade():
    table = op.create_table(
        "settings_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_settings_revision")),
    )
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute(f"INSERT INTO settings_revision (id, token) VALUES (1, {PG_RANDOM})")
        op.execute(f"""
CREATE FUNCTION settings_revision_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT FROM changed) THEN
        UPDATE settings_revision SET token = {PG_RANDOM} WHERE id = 1;
    END IF;
    RETURN NULL;
END
$$""")
        for name in TABLES:
            for event in EVENTS:
                rows = "OLD" if event == "delete" else "NEW"
                op.execute(
                    f"CREATE TRIGGER settings_revision_{event} AFTER {event.upper()} ON {name}"
                    f" REFERENCING {rows} TABLE AS changed"
                    " FOR EACH STATEMENT EXECUTE FUNCTION settings_revision_bump()"
                )
    else:
        op.bulk_insert(table, [{"id": 1, "token": 0}])
        op.execute("UPDATE settings_revision SET token = random()")
        for name in TABLES:
            for event in EVENTS:
                op.execute(
                    f"CREATE TRIGGER settings_revision_{name}_{event} AFTER {event.upper()}"
                    f" ON {name} BEGIN UPDATE settings_revision SET token = random(); END"
                )


def downgrade():
    bind = op.get_bind()
    for name in TABLES:
        for event in EVENTS:
            if bind.dialect.name == "postgresql":
                op.execute(f"DROP TRIGGER IF EXISTS settings_revision_{event} ON {name}")
            else:
                op.execute(f"DROP TRIGGER IF EXISTS settings_revision_{name}_{event}")
    if bind.dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS settings_revision_bump()")
    op.drop_table("settings_revision")
