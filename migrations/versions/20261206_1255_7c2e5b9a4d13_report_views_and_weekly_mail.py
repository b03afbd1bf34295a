"""Report views and the weekly report mail: saved views of the report pages, subscriptions to
the weekly mail, and the weeks mailed per subscription (what makes a second run send nothing).

New tables only; nothing to carry forward.

Revision ID: 7c2e5b9a4d13
Revises: 7c1f5e9a2b64
Create Date: 2026-12-06 12:55:58.040037

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "7c2e5b9a4d13"
down_revision = "7c1f5e9a2b64"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "report_saved_views",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("endpoint", sa.String(length=80), nullable=False),
        sa.Column("query", sa.String(length=2000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_report_saved_views_owner_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_saved_views")),
        sa.UniqueConstraint("owner_id", "name", name=op.f("uq_report_saved_views_owner_id_name")),
    )
    with op.batch_alter_table("report_saved_views", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_report_saved_views_owner_id"), ["owner_id"], unique=False
        )

    op.create_table(
        "report_subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("saved_view_id", sa.Integer(), nullable=True),
        sa.Column("endpoint", sa.String(length=80), nullable=False),
        sa.Column("query", sa.String(length=2000), nullable=False),
        sa.Column("weekday", sa.SmallInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "weekday >= 0 AND weekday <= 6", name=op.f("ck_report_subscriptions_weekday_range")
        ),
        sa.ForeignKeyConstraint(
            ["saved_view_id"],
            ["report_saved_views.id"],
            name=op.f("fk_report_subscriptions_saved_view_id_report_saved_views"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_report_subscriptions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_subscriptions")),
    )
    with op.batch_alter_table("report_subscriptions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_report_subscriptions_saved_view_id"), ["saved_view_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_report_subscriptions_user_id"), ["user_id"], unique=False
        )

    op.create_table(
        "report_mailings",
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("mail_id", sa.Integer(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["mail_id"],
            ["outbound_mails.id"],
            name=op.f("fk_report_mailings_mail_id_outbound_mails"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["report_subscriptions.id"],
            name=op.f("fk_report_mailings_subscription_id_report_subscriptions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("subscription_id", "week", name=op.f("pk_report_mailings")),
    )


def downgrade():
    op.drop_table("report_mailings")
    with op.batch_alter_table("report_subscriptions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_subscriptions_user_id"))
        batch_op.drop_index(batch_op.f("ix_report_subscriptions_saved_view_id"))

    op.drop_table("report_subscriptions")
    with op.batch_alter_table("report_saved_views", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_saved_views_owner_id"))

    op.drop_table("report_saved_views")
