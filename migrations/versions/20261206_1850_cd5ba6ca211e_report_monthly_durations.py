"""Monthly duration buckets: per report month, ticket kind and queue, how many tickets' response
and resolution times (wall and business) fell in each logarithmic bucket, so that medians and
p90s merge bucket counts instead of sorting a year of facts. Filled from the facts here (the
same formula as ``app.reports.rollups.buckets.bucket``); the session hook and ``flask reports
rollup`` keep it current.

Revision ID: cd5ba6ca211e
Revises: 91109e93a505
Create Date: 2026-12-06 18:50:00

"""

import math

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "cd5ba6ca211e"
down_revision = "91109e93a505"
branch_labels = None
depends_on = None

LOG_RATIO = math.log(1.05)
DURATIONS = {
    "response_wall": "opened_day",
    "response_business": "opened_day",
    "resolution_wall": "resolved_day",
    "resolution_business": "resolved_day",
}


def upgrade():
    op.create_table(
        "report_monthly_durations",
        sa.Column("duration", sa.String(length=24), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("bucket", sa.Integer(), nullable=False),
        sa.Column("tickets", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "duration", "kind", "month", "group_id", "bucket",
            name=op.f("pk_report_monthly_durations"),
        ),
        sqlite_with_rowid=False,
    )  # fmt: skip
    postgres = op.get_bind().dialect.name == "postgresql"
    for duration, day in DURATIONS.items():
        month = (
            f"CAST(date_trunc('month', {day}) AS date)"
            if postgres
            else f"date({day}, 'start of month')"
        )
        bucket = (
            f"CASE WHEN {duration} < 1 THEN 0 "
            f"ELSE 1 + CAST(floor(ln({duration}) / {LOG_RATIO!r}) AS INTEGER) END"
        )
        op.execute(
            "INSERT INTO report_monthly_durations "
            "(duration, kind, month, group_id, bucket, tickets) "
            f"SELECT '{duration}', kind, {month}, group_id, {bucket}, count(*) "
            f"FROM report_ticket_facts WHERE {duration} IS NOT NULL AND {day} IS NOT NULL "
            "GROUP BY 2, 3, 4, 5"
        )


def downgrade():
    op.drop_table("report_monthly_durations")
