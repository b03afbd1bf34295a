"""CMDB settings: lifecycle treatment in impact analysis; class descriptions, attribute help,
and version counters for editing classes and attributes.

Revision ID: c3a1f5d2e8b4
Revises: b17d1d8a6197
Create Date: 2026-11-23 11:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c3a1f5d2e8b4'
down_revision = 'b17d1d8a6197'
branch_labels = None
depends_on = None


def _treatment(name):
    return sa.Enum(
        'normal', 'already_down', 'ignored',
        name=name, native_enum=False, create_constraint=True, length=32,
    )


def upgrade():
    settings = op.create_table('cmdb_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('planned', _treatment('treatment_planned'), server_default='ignored', nullable=False),
    sa.Column('in_maintenance', _treatment('treatment_in_maintenance'), server_default='already_down', nullable=False),
    sa.Column('retired', _treatment('treatment_retired'), server_default='ignored', nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cmdb_settings'))
    )
    # The single row, with the engine's defaults (app.cmdb.graph.ImpactOptions).
    op.bulk_insert(settings, [{'id': 1}])
    with op.batch_alter_table('ci_attribute_definitions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('help', sa.String(length=300), server_default='', nullable=False))
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))

    with op.batch_alter_table('ci_classes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('description', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))


def downgrade():
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+): recreating ci_classes would have to
    # drop a table other tables' foreign keys point at.
    with op.batch_alter_table('ci_classes', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('version')
        batch_op.drop_column('description')

    with op.batch_alter_table('ci_attribute_definitions', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('version')
        batch_op.drop_column('help')

    op.drop_table('cmdb_settings')
