"""Who may find a search document: ``search_documents.audience``, in its source's own words
(a knowledge article's ``everyone``, ``it_staff`` or ``group:<id>``; empty for the sources
whose visibility is tested on their own rows). The articles' visibility is then a test of
this column instead of ``source_id IN (the visible articles)``, a subquery PostgreSQL ran
by reading all of ``kb_articles`` once per statement of every search (at 50,000 articles
it doubled the median search of an agent; docs/benchmarks.md, search16c). Filled here for
the articles already indexed; the index writer keeps it (``Document.audience``).

Revision ID: b3e5d7a9c1f4
Revises: 3adae2c5706f
Create Date: 2026-12-07 00:50:00

"""

import sqlalchemy as sa
from alembic import op

revision = "b3e5d7a9c1f4"
down_revision = "3adae2c5706f"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A constant default: PostgreSQL adds the column without writing the table.
    with op.batch_alter_table("search_documents") as batch:
        batch.add_column(sa.Column("audience", sa.String(40), nullable=False, server_default=""))
    # Only the audience column changes: the vectors' trigger (on the text columns) does not run.
    op.execute(
        "UPDATE search_documents SET audience = (SELECT CASE a.audience"
        "  WHEN 'group' THEN 'group:' || COALESCE(CAST(a.audience_group_id AS VARCHAR(20)), '')"
        "  ELSE a.audience END"
        " FROM kb_articles a WHERE a.id = search_documents.source_id)"
        " WHERE source = 'kb_article'"
        " AND EXISTS (SELECT 1 FROM kb_articles a WHERE a.id = search_documents.source_id)"
    )


def downgrade() -> None:
    with op.batch_alter_table("search_documents") as batch:
        batch.drop_column("audience")
