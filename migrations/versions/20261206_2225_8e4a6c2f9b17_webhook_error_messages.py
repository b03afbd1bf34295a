"""A webhook delivery's error keeps its message and parameters (app.i18n.stored) beside the
English text, so that the admin reads it in their language. Existing rows have none and show
their text as before.

Revision ID: 8e4a6c2f9b17
Revises: 5b1e9c7d3a24
Create Date: 2026-12-06 22:25:00

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = "8e4a6c2f9b17"
down_revision = "5b1e9c7d3a24"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade():
    with op.batch_alter_table("webhook_deliveries") as batch:
        batch.add_column(sa.Column("error_message", JSON, nullable=True))


def downgrade():
    with op.batch_alter_table("webhook_deliveries") as batch:
        batch.drop_column("error_message")
