"""Incident categories carry their names in other languages: a ``translations`` JSON value
``{"sv": {"name": "Nätverk"}}`` beside the English ``name`` (which stays what incidents and
routing rules store). Existing categories have none: everyone reads the English name.

Revision ID: c4e8a2f61b07
Revises: ace58dda1043
Create Date: 2026-12-06 19:30:00

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = "c4e8a2f61b07"
down_revision = "ace58dda1043"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade():
    op.add_column("incident_categories", sa.Column("translations", JSON, nullable=True))


def downgrade():
    with op.batch_alter_table("incident_categories") as batch:
        batch.drop_column("translations")
