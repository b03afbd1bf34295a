"""A journal line the desk writes (a system note: "Reopened: …", "Priority overridden: …") keeps
its message and parameters (app.i18n.stored) beside the English body, so that each reader reads
it in their language. Existing lines have none and show their body as before.

Revision ID: 5b1e9c7d3a24
Revises: 9a4c2e7b1d53
Create Date: 2026-12-06 22:05:00

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = "5b1e9c7d3a24"
down_revision = "9a4c2e7b1d53"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade():
    with op.batch_alter_table("journal_entries") as batch:
        batch.add_column(sa.Column("message", JSON, nullable=True))


def downgrade():
    with op.batch_alter_table("journal_entries") as batch:
        batch.drop_column("message")
