"""Import report lines and run errors keep their text as a message id and its parameters
(``app.i18n.stored``), so the run pages word them in each reader's language:
``import_problems.detail`` and ``import_runs.error_detail`` (JSON). The English text stays in
``message`` and ``error`` (exports, logs); rows written before have no detail and are shown as
they are.

Revision ID: 9a4c2e7b1d53
Revises: 4eec4213366a
Create Date: 2026-12-06 22:20:00

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = "9a4c2e7b1d53"
down_revision = "4eec4213366a"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade():
    with op.batch_alter_table("import_problems") as batch:
        batch.add_column(sa.Column("detail", JSON, nullable=True))
    with op.batch_alter_table("import_runs") as batch:
        batch.add_column(sa.Column("error_detail", JSON, nullable=True))


def downgrade():
    with op.batch_alter_table("import_runs") as batch:
        batch.drop_column("error_detail")
    with op.batch_alter_table("import_problems") as batch:
        batch.drop_column("detail")
