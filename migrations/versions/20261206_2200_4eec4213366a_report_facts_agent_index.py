"""The reporting facts' resolution-day index also carries the assignee, so a range's partial
months of "resolved per agent" are counted with an index-only scan (the whole months are read
from ``report_monthly_agents``); and the two older day indexes, now prefixes of the covering
ones (``(opened_day, group_id)`` of ``ix_report_facts_opened_times``, ``(resolved_day,
group_id)`` of ``ix_report_facts_resolved_times``), are dropped: every query they served
reads the covering index as well, and each write of a fact kept two copies of the same keys.

Revision ID: 4eec4213366a
Revises: 5bcbd8e58f8b
Create Date: 2026-12-06 22:00:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "4eec4213366a"
down_revision = "5bcbd8e58f8b"
branch_labels = None
depends_on = None

RESOLVED_TIMES = ["resolved_day", "group_id", "kind", "resolution_wall", "resolution_business"]
PREFIXES = {
    "ix_report_facts_opened": ["opened_day", "group_id"],
    "ix_report_facts_resolved": ["resolved_day", "group_id"],
}


def upgrade():
    with op.batch_alter_table("report_ticket_facts") as batch:
        batch.drop_index("ix_report_facts_resolved_times")
        batch.create_index("ix_report_facts_resolved_times", [*RESOLVED_TIMES, "assignee_id"])
        for name in PREFIXES:
            batch.drop_index(name)


def downgrade():
    with op.batch_alter_table("report_ticket_facts") as batch:
        for name, columns in PREFIXES.items():
            batch.create_index(name, columns)
        batch.drop_index("ix_report_facts_resolved_times")
        batch.create_index("ix_report_facts_resolved_times", RESOLVED_TIMES)
