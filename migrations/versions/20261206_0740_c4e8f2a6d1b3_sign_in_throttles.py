"""sign_in_throttles: failures in a row per (username, client address) and the next allowed try.

Replaces the lockout per username (anyone could lock anyone out) by growing delays per pair.
The table starts empty: earlier failures stay in sign_in_failures, which still counts towards
the per-address ceiling.

Revision ID: c4e8f2a6d1b3
Revises: b7d1e3f5a902
Create Date: 2026-12-06 07:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c4e8f2a6d1b3'
down_revision = 'b7d1e3f5a902'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'sign_in_throttles',
        sa.Column('username', sa.String(length=150), nullable=False),
        sa.Column('address', sa.String(length=64), nullable=False),
        sa.Column('failures', sa.Integer(), server_default='0', nullable=False),
        sa.Column('last_failed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('username', 'address', name=op.f('pk_sign_in_throttles')),
    )
    op.create_index(
        op.f('ix_sign_in_throttles_last_failed_at'),
        'sign_in_throttles',
        ['last_failed_at'],
        unique=False,
    )


def downgrade():
    op.drop_index(op.f('ix_sign_in_throttles_last_failed_at'), table_name='sign_in_throttles')
    op.drop_table('sign_in_throttles')
