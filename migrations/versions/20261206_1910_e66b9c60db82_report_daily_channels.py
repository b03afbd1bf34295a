"""Daily channel counts: tickets opened and resolved per report day, kind, queue and channel,
for the dashboards' per-channel tables (the daily rollup is not keyed by channel). Filled from
the facts here; the session hook and ``flask reports rollup`` keep it current.

Revision ID: e66b9c60db82
Revises: cd5ba6ca211e
Create Date: 2026-12-06 19:10:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "e66b9c60db82"
down_revision = "cd5ba6ca211e"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "report_daily_channels",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("opened", sa.Integer(), nullable=False),
        sa.Column("resolved", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "day", "kind", "group_id", "channel", name=op.f("pk_report_daily_channels")
        ),
        sqlite_with_rowid=False,
    )
    op.execute(
        "INSERT INTO report_daily_channels (day, kind, group_id, channel, opened, resolved) "
        "SELECT day, kind, group_id, channel, sum(opened), sum(resolved) FROM ("
        " SELECT opened_day AS day, kind, group_id, channel, 1 AS opened, 0 AS resolved"
        " FROM report_ticket_facts"
        " UNION ALL"
        " SELECT resolved_day, kind, group_id, channel, 0, 1"
        " FROM report_ticket_facts WHERE resolved_day IS NOT NULL"
        ") AS counted GROUP BY day, kind, group_id, channel"
    )


def downgrade():
    op.drop_table("report_daily_channels")
