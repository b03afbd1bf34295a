"""An index of the reporting facts on (assignee_id, opened_day): the agent dashboard reads one
person's tickets opened in a range (SQLite otherwise walks the day index of every queue).

Revision ID: 91109e93a505
Revises: c4e8a1f27b93
Create Date: 2026-12-06 18:45:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "91109e93a505"
down_revision = "c4e8a1f27b93"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("report_ticket_facts") as batch:
        batch.create_index("ix_report_facts_assignee_opened", ["assignee_id", "opened_day"])


def downgrade():
    with op.batch_alter_table("report_ticket_facts") as batch:
        batch.drop_index("ix_report_facts_assignee_opened")
