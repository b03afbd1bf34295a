"""users.session_generation: part of the session id, bumped to end every session of a person.

Existing accounts start at generation 1. Sessions and remember-me cookies issued before the
upgrade carry a bare user id, which the new loader refuses: everybody signs in once more.

Revision ID: b7d1e3f5a902
Revises: a72cbed8bc7e
Create Date: 2026-12-06 07:15:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7d1e3f5a902'
down_revision = 'a72cbed8bc7e'
branch_labels = None
depends_on = None


def upgrade():
    # A plain ADD COLUMN (NOT NULL with a constant default) works on SQLite without a batch
    # copy of the table, and fills existing rows on both databases.
    op.add_column(
        'users',
        sa.Column('session_generation', sa.Integer(), server_default='1', nullable=False),
    )


def downgrade():
    # A plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+), never a copy of the users table.
    with op.batch_alter_table('users', recreate='never') as batch_op:
        batch_op.drop_column('session_generation')
