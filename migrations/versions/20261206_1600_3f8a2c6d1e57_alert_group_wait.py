"""The alert sources' group wait (how long before a root's alert its dependants' incidents
may have opened and still be adopted as its children) and how many times each alert arrived.

Revision ID: 3f8a2c6d1e57
Revises: 1884b9a0fb82
Create Date: 2026-12-06 16:00:00

"""

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = "3f8a2c6d1e57"
down_revision = "1884b9a0fb82"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("alert_sources") as batch:
        batch.add_column(
            sa.Column("group_wait_seconds", sa.Integer(), server_default="300", nullable=False)
        )
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(
            sa.Column("received_count", sa.Integer(), server_default="1", nullable=False)
        )


def downgrade():
    with op.batch_alter_table("alerts") as batch:
        batch.drop_column("received_count")
    with op.batch_alter_table("alert_sources") as batch:
        batch.drop_column("group_wait_seconds")
