"""One submission per form: the one-time tokens of creating forms that were used (see
``app.submissions``).

A new table only; nothing to carry forward.

Revision ID: c9e2f4a6b8d1
Revises: b7d1e3f5a9c2
Create Date: 2026-12-06 07:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c9e2f4a6b8d1'
down_revision = 'b7d1e3f5a9c2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('form_submissions',
    sa.Column('token', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('token', name=op.f('pk_form_submissions'))
    )


def downgrade():
    op.drop_table('form_submissions')
