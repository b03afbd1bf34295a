"""Catalog categories and items carry their other languages' names and descriptions
({"sv": {"name": "…"}}); nothing is translated yet, so every page shows the English columns.

Revision ID: b4e8d2c6a913
Revises: cfe5921c7a46
Create Date: 2026-12-06 19:15:00

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = "b4e8d2c6a913"
down_revision = "cfe5921c7a46"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade():
    for table in ("catalog_categories", "catalog_items"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("translations", _JSON, nullable=True))


def downgrade():
    for table in ("catalog_items", "catalog_categories"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("translations")
