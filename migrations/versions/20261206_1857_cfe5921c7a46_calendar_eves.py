"""Business calendars can also close on their country's eves (de facto holidays: in Sweden
midsommarafton, julafton, nyårsafton). Existing calendars keep their days: off.

Revision ID: cfe5921c7a46
Revises: c4e8a2f61b07
Create Date: 2026-12-06 18:57:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "cfe5921c7a46"
down_revision = "c4e8a2f61b07"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("sla_calendars") as batch:
        batch.add_column(
            sa.Column("include_eves", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade():
    with op.batch_alter_table("sla_calendars") as batch:
        batch.drop_column("include_eves")
