"""The CMDB change log: one row per revision naming the CIs it changed, so that workers patch
their cached graph instead of reloading it (``app.cmdb.cache``). Starts empty: a worker whose
revision is not in the log reloads once.

Revision ID: c4e8a1f27b93
Revises: 5239a6ef32f8
Create Date: 2026-12-06 18:50:00

"""

import sqlalchemy as sa
from alembic import op

revision = "c4e8a1f27b93"
down_revision = "5239a6ef32f8"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cmdb_changes",
        sa.Column("revision", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("ids", sa.Text(), server_default="", nullable=False),
        sa.PrimaryKeyConstraint("revision", name=op.f("pk_cmdb_changes")),
    )


def downgrade() -> None:
    op.drop_table("cmdb_changes")
