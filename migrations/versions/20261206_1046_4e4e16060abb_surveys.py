"""Satisfaction surveys: one row per resolved ticket (the sampling decision, the answer, who
worked it) and the administrators' settings.

New tables only; nothing to carry forward (tickets resolved before it are not asked).

Revision ID: 4e4e16060abb
Revises: a86c9a33aa51
Create Date: 2026-12-06 10:46:23.208343

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "4e4e16060abb"
down_revision = "a86c9a33aa51"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "survey_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("percentage", sa.Integer(), nullable=False),
        sa.Column("once_per_days", sa.Integer(), nullable=False),
        sa.Column("delay_hours", sa.Integer(), nullable=False),
        sa.Column("low_score", sa.Integer(), nullable=False),
        sa.Column("edit_days", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_settings")),
    )
    op.create_table(
        "surveys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("caller_id", sa.Integer(), nullable=False),
        sa.Column("sampled", sa.Boolean(), nullable=False),
        sa.Column("draw", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_via", sa.String(length=16), nullable=True),
        sa.Column("low_notified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("service", sa.String(length=200), nullable=True),
        sa.Column("category", sa.String(length=80), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.CheckConstraint(
            "score IS NULL OR (score >= 1 AND score <= 5)", name=op.f("ck_surveys_score_range")
        ),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["users.id"], name=op.f("fk_surveys_agent_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["caller_id"], ["users.id"], name=op.f("fk_surveys_caller_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["groups.id"],
            name=op.f("fk_surveys_group_id_groups"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_surveys_ticket_id_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_surveys")),
        sa.UniqueConstraint("ticket_id", name=op.f("uq_surveys_ticket_id")),
    )
    with op.batch_alter_table("surveys", schema=None) as batch_op:
        batch_op.create_index("ix_surveys_sent", ["sent_at"], unique=False)
        batch_op.create_index("ix_surveys_updated", ["updated_at"], unique=False)
        batch_op.create_index(
            "ix_surveys_caller_sampled", ["caller_id", "sampled", "created_at"], unique=False
        )
        batch_op.create_index("ix_surveys_due", ["sampled", "sent_at", "due_at"], unique=False)


def downgrade():
    with op.batch_alter_table("surveys", schema=None) as batch_op:
        batch_op.drop_index("ix_surveys_due")
        batch_op.drop_index("ix_surveys_caller_sampled")
        batch_op.drop_index("ix_surveys_updated")
        batch_op.drop_index("ix_surveys_sent")

    op.drop_table("surveys")
    op.drop_table("survey_settings")
