"""Reporting facts (one row per ticket) and daily rollups of them.

New derived tables, filled for existing tickets by ``flask reports rollup`` (run it once after
upgrading: the session hook keeps them current from then on).

Revision ID: 7c1f5e9a2b64
Revises: 5b0c7e2d9a14
Create Date: 2026-12-06 13:30:00

"""

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = "7c1f5e9a2b64"
down_revision = "5b0c7e2d9a14"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "report_ticket_facts",
        sa.Column("ticket_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("assignee_id", sa.Integer(), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("category", sa.String(length=80), nullable=False),
        sa.Column("service", sa.String(length=200), nullable=False),
        sa.Column("catalog_item_id", sa.Integer(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_day", sa.Date(), nullable=False),
        sa.Column("opened_hour", sa.Integer(), nullable=False),
        sa.Column("first_response_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("response_wall", sa.Integer(), nullable=True),
        sa.Column("response_business", sa.Integer(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_day", sa.Date(), nullable=True),
        sa.Column("resolution_wall", sa.Integer(), nullable=True),
        sa.Column("resolution_business", sa.Integer(), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_day", sa.Date(), nullable=True),
        sa.Column("reopen_count", sa.Integer(), nullable=False),
        sa.Column("reassignment_count", sa.Integer(), nullable=False),
        sa.Column("held", sa.Boolean(), nullable=False),
        sa.Column("first_contact", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_report_ticket_facts_ticket_id_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("ticket_id", name=op.f("pk_report_ticket_facts")),
    )
    with op.batch_alter_table("report_ticket_facts", schema=None) as batch_op:
        batch_op.create_index("ix_report_facts_opened", ["opened_day", "group_id"], unique=False)
        batch_op.create_index(
            "ix_report_facts_resolved", ["resolved_day", "group_id"], unique=False
        )
        batch_op.create_index(
            "ix_report_facts_open",
            ["group_id", "opened_at"],
            unique=False,
            postgresql_where=sa.text("ended_at IS NULL"),
            sqlite_where=sa.text("ended_at IS NULL"),
        )
        batch_op.create_index(
            "ix_report_facts_assignee", ["assignee_id", "resolved_day"], unique=False
        )
        batch_op.create_index("ix_report_facts_ended", ["ended_day", "group_id"], unique=False)

    op.create_table(
        "report_daily",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("opened", sa.Integer(), nullable=False),
        sa.Column("responded", sa.Integer(), nullable=False),
        sa.Column("response_wall_sum", sa.BigInteger(), nullable=False),
        sa.Column("response_business_sum", sa.BigInteger(), nullable=False),
        sa.Column("resolved", sa.Integer(), nullable=False),
        sa.Column("resolution_wall_sum", sa.BigInteger(), nullable=False),
        sa.Column("resolution_business_sum", sa.BigInteger(), nullable=False),
        sa.Column("reopened", sa.Integer(), nullable=False),
        sa.Column("first_contact", sa.Integer(), nullable=False),
        sa.Column("reassigned", sa.Integer(), nullable=False),
        sa.Column("reassignments", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "day",
            "kind",
            "group_id",
            "priority",
            name=op.f("pk_report_daily"),
        ),
    )


def downgrade():
    op.drop_table("report_daily")
    with op.batch_alter_table("report_ticket_facts", schema=None) as batch_op:
        batch_op.drop_index("ix_report_facts_ended")
        batch_op.drop_index("ix_report_facts_assignee")
        batch_op.drop_index("ix_report_facts_open")
        batch_op.drop_index("ix_report_facts_resolved")
        batch_op.drop_index("ix_report_facts_opened")
    op.drop_table("report_ticket_facts")
