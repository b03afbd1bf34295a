"""Mail out: the one-click unsubscribe URL a mail to subscribers carries (List-Unsubscribe and
List-Unsubscribe-Post, RFC 8058); the weekly report mail sets it.

Revision ID: 3f8d2a7c5e61
Revises: 8b2d4f6a1c93
Create Date: 2026-12-06 16:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "3f8d2a7c5e61"
down_revision = "8b2d4f6a1c93"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("outbound_mails") as batch:
        batch.add_column(sa.Column("list_unsubscribe", sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table("outbound_mails") as batch:
        batch.drop_column("list_unsubscribe")
