"""Tickets keep the number another tool gave them (``external_system``, ``external_number``):
an incident imported from ServiceNow is found by its old number (INC0000045) in the search and
says it on its page.

Two nullable columns and an index on the number; nothing to carry forward.

Revision ID: 5e1c7a9b3d42
Revises: 3f8a2c6d1e57
Create Date: 2026-12-06 16:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "5e1c7a9b3d42"
down_revision = "3f8a2c6d1e57"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("tickets", sa.Column("external_system", sa.String(length=40), nullable=True))
    op.add_column("tickets", sa.Column("external_number", sa.String(length=60), nullable=True))
    op.create_index("ix_tickets_external_number", "tickets", ["external_number"], unique=False)


def downgrade():
    # Not in batch mode: on SQLite a batch would copy ``tickets`` into a new table and drop the
    # old one, whose foreign keys (ON DELETE CASCADE) would empty the incidents and the rest.
    # SQLite (3.35+) and PostgreSQL both drop a column in place.
    op.drop_index("ix_tickets_external_number", table_name="tickets")
    op.drop_column("tickets", "external_number")
    op.drop_column("tickets", "external_system")
