"""A knowledge article can be a language version of another (translation_of_id): the portal
shows a reader the version in their language. Existing articles are all originals.

Revision ID: d6f1a3b8c274
Revises: b4e8d2c6a913
Create Date: 2026-12-06 19:40:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "d6f1a3b8c274"
down_revision = "b4e8d2c6a913"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("kb_articles") as batch:
        batch.add_column(sa.Column("translation_of_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_kb_articles_translation_of_id_kb_articles",
            "kb_articles",
            ["translation_of_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch.create_unique_constraint(
            "uq_kb_articles_translation_of_id_language", ["translation_of_id", "language"]
        )


def downgrade():
    with op.batch_alter_table("kb_articles") as batch:
        batch.drop_constraint("uq_kb_articles_translation_of_id_language", type_="unique")
        batch.drop_constraint("fk_kb_articles_translation_of_id_kb_articles", type_="foreignkey")
        batch.drop_column("translation_of_id")
