"""Why a webhook subscription was switched off keeps its message and parameters
(app.i18n.stored) beside the English text, so that the admin reads it in their language.
Existing rows have none and show their text as before.

Revision ID: a3c81f5e0d92
Revises: cd25bcb4c72b
Create Date: 2026-12-07 01:30:00

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = "a3c81f5e0d92"
down_revision = "cd25bcb4c72b"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade():
    with op.batch_alter_table("webhook_subscriptions") as batch:
        batch.add_column(sa.Column("disabled_message", JSON, nullable=True))


def downgrade():
    with op.batch_alter_table("webhook_subscriptions") as batch:
        batch.drop_column("disabled_message")
