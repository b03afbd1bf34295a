"""Monthly per-agent counts: per report month, ticket kind, queue and assignee, how many
tickets were resolved (on their last resolution's day), so that the dashboards' "resolved per
agent" sums a row per month and agent instead of counting a year of facts. Filled from the
facts here; the session hook and ``flask reports rollup`` keep it current.

Revision ID: 5bcbd8e58f8b
Revises: d6f1a3b8c274
Create Date: 2026-12-06 21:50:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "5bcbd8e58f8b"
down_revision = "d6f1a3b8c274"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "report_monthly_agents",
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("assignee_id", sa.Integer(), nullable=False),
        sa.Column("resolved", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "month", "kind", "group_id", "assignee_id", name=op.f("pk_report_monthly_agents")
        ),
        sqlite_with_rowid=False,
    )
    postgres = op.get_bind().dialect.name == "postgresql"
    month = (
        "CAST(date_trunc('month', resolved_day) AS date)"
        if postgres
        else "date(resolved_day, 'start of month')"
    )
    op.execute(
        "INSERT INTO report_monthly_agents (month, kind, group_id, assignee_id, resolved) "
        f"SELECT {month}, kind, group_id, assignee_id, count(*) "
        "FROM report_ticket_facts WHERE resolved_day IS NOT NULL GROUP BY 1, 2, 3, 4"
    )


def downgrade():
    op.drop_table("report_monthly_agents")
