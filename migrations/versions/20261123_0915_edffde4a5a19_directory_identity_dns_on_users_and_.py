"""Directory identity: the directory DN of users and groups, and the sync state.

users.directory_dn and groups.directory_dn hold normalised DNs of the entries they mirror;
users.directory_deactivated marks accounts the sync (not an administrator) deactivated;
directory_sync_states keeps the high-water mark of incremental syncs.

Revision ID: edffde4a5a19
Revises: 170ec7640171
Create Date: 2026-11-23 09:15:28.904618

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'edffde4a5a19'
down_revision = '170ec7640171'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('directory_sync_states',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('high_water_mark', sa.String(length=64), nullable=True),
    sa.Column('last_full_sync_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_sync_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_directory_sync_states')),
    sa.UniqueConstraint('name', name=op.f('uq_directory_sync_states_name'))
    )
    with op.batch_alter_table('groups', schema=None) as batch_op:
        batch_op.add_column(sa.Column('directory_dn', sa.String(length=512), nullable=True))
        batch_op.create_index(batch_op.f('ix_groups_directory_dn'), ['directory_dn'], unique=False)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('directory_dn', sa.String(length=512), nullable=True))
        batch_op.add_column(sa.Column('directory_deactivated', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.create_index(batch_op.f('ix_users_directory_dn'), ['directory_dn'], unique=False)



def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_directory_dn'))
        batch_op.drop_column('directory_deactivated')
        batch_op.drop_column('directory_dn')

    with op.batch_alter_table('groups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_groups_directory_dn'))
        batch_op.drop_column('directory_dn')

    op.drop_table('directory_sync_states')
