"""A CI may name its users as a group: configuration_items.users_group_id -> groups.id.

ON DELETE SET NULL: deleting the group leaves the CI with its bare users_count.

PostgreSQL adds the column and then the named constraint. SQLite cannot add a constraint to
an existing table, and the batch mode's copy-and-drop of ``configuration_items`` would be
destructive (the app's connections turn foreign keys on and a transaction cannot turn them off,
so dropping the table would run ``ci_attribute_values``' ON DELETE CASCADE and
``ci_relations``' RESTRICT). So SQLite adds the column with ALTER TABLE, then gets the
procedure its documentation gives for a constraint that leaves the stored data valid (the new
column is NULL everywhere): the named table constraint is written into the table's CREATE
statement in ``sqlite_master`` and the schema version bumped, as the service-requests migration
does for ``tickets``. (A column-level REFERENCES clause would do too, but is reflected without
its name and ON DELETE rule, so the models would seem to disagree with the schema.)

Revision ID: a3c5e7f9b1d4
Revises: f1a9c3e5b7d2
Create Date: 2026-11-23 13:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a3c5e7f9b1d4'
down_revision = 'f1a9c3e5b7d2'
branch_labels = None
depends_on = None

TABLE = 'configuration_items'
COLUMN = 'users_group_id'
FK = 'fk_configuration_items_users_group_id_groups'
INDEX = 'ix_configuration_items_users_group_id'


CONSTRAINT_SQL = (
    f', CONSTRAINT {FK} FOREIGN KEY({COLUMN}) REFERENCES groups (id) ON DELETE SET NULL'
)


def _rewrite_sqlite_table(change):
    """Replace the table's CREATE statement by ``change(sql)`` (see the module docstring)."""
    bind = op.get_bind()
    sql = bind.exec_driver_sql(
        f"SELECT sql FROM sqlite_master WHERE type = 'table' AND name = '{TABLE}'"
    ).scalar()
    new_sql = change(sql)
    version = bind.exec_driver_sql('PRAGMA schema_version').scalar()
    bind.exec_driver_sql('PRAGMA writable_schema = ON')
    bind.execute(
        sa.text(f"UPDATE sqlite_master SET sql = :sql WHERE type = 'table' AND name = '{TABLE}'"),
        {'sql': new_sql},
    )
    bind.exec_driver_sql('PRAGMA schema_version = %d' % (version + 1))
    bind.exec_driver_sql('PRAGMA writable_schema = RESET')


def _add_constraint(sql):
    body = sql.rstrip()
    if not body.endswith(')') or FK in body:
        raise RuntimeError(f'unexpected CREATE statement of {TABLE}: {sql[-200:]!r}')
    return body[:-1].rstrip() + CONSTRAINT_SQL + ')'


def _remove_constraint(sql):
    if CONSTRAINT_SQL not in sql:
        raise RuntimeError(f'{TABLE} has no {FK} constraint to remove')
    return sql.replace(CONSTRAINT_SQL, '')


def upgrade():
    op.add_column(TABLE, sa.Column(COLUMN, sa.Integer(), nullable=True))
    if op.get_bind().dialect.name == 'sqlite':
        _rewrite_sqlite_table(_add_constraint)
    else:
        op.create_foreign_key(op.f(FK), TABLE, 'groups', [COLUMN], ['id'], ondelete='SET NULL')
    op.create_index(op.f(INDEX), TABLE, [COLUMN], unique=False)


def downgrade():
    op.drop_index(op.f(INDEX), table_name=TABLE)
    if op.get_bind().dialect.name == 'sqlite':
        _rewrite_sqlite_table(_remove_constraint)
    else:
        op.drop_constraint(op.f(FK), TABLE, type_='foreignkey')
    # A plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+), never a copy of the table.
    with op.batch_alter_table(TABLE, schema=None, recreate='never') as batch_op:
        batch_op.drop_column(COLUMN)
