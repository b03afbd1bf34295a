"""The outbox: side effects (directory changes, later mail) recorded in the transaction that
asks for them and delivered after it commits (see ``app.outbox``).

A new table only; nothing to carry forward.

Revision ID: b7d1e3f5a9c2
Revises: c4e8f2a6d1b3
Create Date: 2026-12-06 07:10:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = 'b7d1e3f5a9c2'
down_revision = 'c4e8f2a6d1b3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('outbox_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('payload', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('state', sa.Enum('pending', 'done', 'dead', name='outbox_state', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_messages'))
    )
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_messages_due', ['state', 'next_attempt_at'], unique=False)


def downgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_messages_due')
    op.drop_table('outbox_messages')
