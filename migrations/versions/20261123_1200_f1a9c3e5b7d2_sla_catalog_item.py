"""SLA policies can be narrowed to a catalog item: its requested items (RITM) and their tasks.

The foreign key is RESTRICT: catalog items are deactivated, never deleted, by the application;
deleting one that a policy names fails instead of silently widening the policy.

Revision ID: f1a9c3e5b7d2
Revises: e7b2d4c6a9f1
Create Date: 2026-11-23 12:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f1a9c3e5b7d2'
down_revision = 'e7b2d4c6a9f1'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('sla_policies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('catalog_item_id', sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f('ix_sla_policies_catalog_item_id'), ['catalog_item_id'], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f('fk_sla_policies_catalog_item_id_catalog_items'),
            'catalog_items', ['catalog_item_id'], ['id'], ondelete='RESTRICT',
        )


def downgrade():
    with op.batch_alter_table('sla_policies', schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f('fk_sla_policies_catalog_item_id_catalog_items'), type_='foreignkey'
        )
        batch_op.drop_index(batch_op.f('ix_sla_policies_catalog_item_id'))
        batch_op.drop_column('catalog_item_id')
