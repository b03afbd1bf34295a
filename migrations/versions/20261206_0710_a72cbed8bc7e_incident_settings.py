"""Incident settings: one row of workflow choices (assigning a person starts the work).

Revision ID: a72cbed8bc7e
Revises: a3c5e7f9b1d4
Create Date: 2026-12-06 07:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a72cbed8bc7e'
down_revision = 'a3c5e7f9b1d4'
branch_labels = None
depends_on = None


def upgrade():
    settings = op.create_table('incident_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assignment_starts_work', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incident_settings'))
    )
    # The single row, with the defaults (existing installs get the new behaviour).
    op.bulk_insert(settings, [{'id': 1}])


def downgrade():
    op.drop_table('incident_settings')
