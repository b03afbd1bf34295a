"""People's languages: the one each person chose in their settings and the one the directory's
preferredLanguage names (kept by the sync). Nobody has either yet: the browser's language and
then the desk's default apply.

Revision ID: a7c3e9d1f205
Revises: 3f8d2a7c5e61
Create Date: 2026-12-06 19:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "a7c3e9d1f205"
down_revision = "3f8d2a7c5e61"
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMN on both databases: never a batch copy of the users table, which every
    # other table references.
    op.add_column("users", sa.Column("language", sa.String(length=16), nullable=True))
    op.add_column("users", sa.Column("directory_language", sa.String(length=16), nullable=True))


def downgrade():
    with op.batch_alter_table("users", recreate="never") as batch:
        batch.drop_column("directory_language")
        batch.drop_column("language")
