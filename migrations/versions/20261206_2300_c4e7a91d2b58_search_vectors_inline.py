"""Keep the search vectors in the row: ``fts_public`` and ``fts_all`` get storage ``MAIN``.

A document with notes is a row of about 2.1 kB (title, body, notes and two ``tsvector``
columns), past PostgreSQL's 2 kB toast threshold; the toaster then moved its largest
column, ``fts_all``, out to the TOAST table. Every search that reads the table (a common or
partial word's first cap + 1 matches) tested ``fts_all`` of each such row and so fetched it
through the TOAST index: 40% of that statement's time (``nyha``, 13 completions: 105 against
63 ms, 14,700 buffers against 5,800; docs/benchmarks.md, search16b). With ``MAIN`` the toaster
first compresses or moves out the text columns (read only for the page's 20 excerpts) and
leaves the vectors inline. Existing rows over the threshold are written again (``|| ''`` gives
the same vector; the trigger, on the text columns, does not run). Nothing changes on SQLite.

Revision ID: c4e7a91d2b58
Revises: f1dd8b444215
Create Date: 2026-12-06 23:00:00

"""

from alembic import op

revision = "c4e7a91d2b58"
down_revision = "f1dd8b444215"
branch_labels = None
depends_on = None

VECTORS = ("fts_public", "fts_all")


def _storage(kind: str) -> None:
    columns = ", ".join(f"ALTER COLUMN {c} SET STORAGE {kind}" for c in VECTORS)
    op.execute(f"ALTER TABLE search_documents {columns}")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    _storage("MAIN")
    # The rows the toaster may have cut (over about 2 kB whole): their vectors come back in.
    op.execute(
        "UPDATE search_documents SET fts_public = fts_public || ''::tsvector,"
        " fts_all = fts_all || ''::tsvector"
        " WHERE octet_length(title) + octet_length(body) + octet_length(notes)"
        " + coalesce(pg_column_size(fts_public), 0) + coalesce(pg_column_size(fts_all), 0)"
        " > 1800"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    _storage("EXTENDED")
