"""A partial index for "unassigned in my groups": the tickets with no assignee, by group and
opened, carrying the id, kind and state the queue filters on, so the view is an index-only
scan of a small index instead of a bitmap AND of two large ones and ~2,000 heap rows at
1,000,000 incidents (issue 20). SQLite and PostgreSQL both support partial indexes.

Revision ID: f1dd8b444215
Revises: 8e4a6c2f9b17
Create Date: 2026-12-06 23:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "f1dd8b444215"
down_revision = "8e4a6c2f9b17"
branch_labels = None
depends_on = None

UNASSIGNED = "assignee_id IS NULL"


def upgrade():
    with op.batch_alter_table("tickets") as batch:
        batch.create_index(
            "ix_tickets_unassigned_group_opened",
            ["assignment_group_id", "opened_at", "id", "kind", "state"],
            postgresql_where=sa.text(UNASSIGNED),
            sqlite_where=sa.text(UNASSIGNED),
        )


def downgrade():
    with op.batch_alter_table("tickets") as batch:
        batch.drop_index("ix_tickets_unassigned_group_opened")
