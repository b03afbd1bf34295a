"""Texts the desk writes for people keep their message and parameters (app.i18n.stored) beside
the English, so that each reader reads them in their language: why an approval went to
someone other than whom its level names (``approvals.note_message``) and why an incoming
mail was ignored or quarantined (``inbound_messages.reason_message``). Rows written before
have none and show their English as before.

Revision ID: cd25bcb4c72b
Revises: 7d2f9c41e8a6
Create Date: 2026-12-07 01:00:00

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = "cd25bcb4c72b"
down_revision = "7d2f9c41e8a6"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade():
    with op.batch_alter_table("approvals") as batch:
        batch.add_column(sa.Column("note_message", JSON, nullable=True))
    with op.batch_alter_table("inbound_messages") as batch:
        batch.add_column(sa.Column("reason_message", JSON, nullable=True))


def downgrade():
    with op.batch_alter_table("inbound_messages") as batch:
        batch.drop_column("reason_message")
    with op.batch_alter_table("approvals") as batch:
        batch.drop_column("note_message")
