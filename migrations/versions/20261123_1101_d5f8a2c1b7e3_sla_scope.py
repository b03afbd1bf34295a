"""SLA changes: response SLAs are whole-ticket (the first response is measured once per
ticket); task SLA records store their UTC start month and the reports read a covering index.

Existing response policies become whole-ticket; their per-stint records are folded into one
(stint 0) and later stints dropped. Run ``flask sla replay --fix`` afterwards to recompute the
folded records from the event log. ``started_month`` is filled from ``started_at``.

Revision ID: d5f8a2c1b7e3
Revises: c3a1f5d2e8b4
Create Date: 2026-11-23 11:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd5f8a2c1b7e3'
down_revision = 'c3a1f5d2e8b4'
branch_labels = None
depends_on = None

RESPONSE_POLICIES = "SELECT id FROM sla_policies WHERE kind = 'response'"


REPORT_INCLUDE = ['priority', 'started_month', 'breached_at', 'stopped_at', 'elapsed_seconds']
DECIDED = "stage IN ('met', 'breached')"


def upgrade():
    op.execute(f"DELETE FROM task_slas WHERE stint > 1 AND policy_id IN ({RESPONSE_POLICIES})")
    op.execute(f"UPDATE task_slas SET stint = 0 WHERE stint = 1 AND policy_id IN ({RESPONSE_POLICIES})")
    op.execute("UPDATE sla_policies SET scope = 'ticket' WHERE kind = 'response'")
    with op.batch_alter_table('sla_policies', schema=None) as batch_op:
        batch_op.create_check_constraint(
            op.f('ck_sla_policies_response_is_ticket_scope'),
            sa.text("kind != 'response' OR scope = 'ticket'"),
        )
    with op.batch_alter_table('task_slas', schema=None) as batch_op:
        batch_op.add_column(sa.Column('started_month', sa.Integer(), nullable=True))
    if op.get_bind().dialect.name == 'postgresql':
        month = "CAST(to_char(started_at AT TIME ZONE 'UTC', 'YYYYMM') AS INTEGER)"
    else:
        month = "CAST(strftime('%Y%m', started_at) AS INTEGER)"
    op.execute(f"UPDATE task_slas SET started_month = {month} WHERE started_at IS NOT NULL")
    with op.batch_alter_table('task_slas', schema=None) as batch_op:
        batch_op.drop_index('ix_task_slas_group_started')
        batch_op.create_index(
            'ix_task_slas_report', ['group_id', 'kind', 'started_at'], unique=False,
            postgresql_include=REPORT_INCLUDE,
            postgresql_where=sa.text(DECIDED),
            sqlite_where=sa.text(DECIDED),
        )


def downgrade():
    with op.batch_alter_table('task_slas', schema=None) as batch_op:
        batch_op.drop_index('ix_task_slas_report')
        batch_op.create_index('ix_task_slas_group_started', ['group_id', 'started_at'], unique=False)
        batch_op.drop_column('started_month')
    with op.batch_alter_table('sla_policies', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_sla_policies_response_is_ticket_scope'), type_='check')
