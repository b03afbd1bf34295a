"""Periodic jobs: the last run of each (the SLA tick, mail polling, digests, purges), which
the doctor and /metrics read to tell whether the scheduler is alive.

New table only; nothing to carry forward.

Revision ID: 1884b9a0fb82
Revises: f4ee49afeb23
Create Date: 2026-12-06 15:54:30.618914

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "1884b9a0fb82"
down_revision = "f4ee49afeb23"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "periodic_jobs",
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("last_started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_succeeded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("node", sa.String(length=200), nullable=False),
        sa.Column("runs", sa.Integer(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_periodic_jobs")),
    )


def downgrade():
    op.drop_table("periodic_jobs")
