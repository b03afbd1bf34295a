"""Typo correction on SQLite: ``fts_words``, the distinct words of titles and bodies (as on
PostgreSQL), and ``fts_words_trgm``, an FTS5 trigram index over them (external content, kept by
a trigger) that finds the known words sharing trigrams with a typed one; the application
picks the closest by ``pg_trgm``'s similarity (``app.search.text.closest``). Filled here from
the documents already indexed. Nothing changes on PostgreSQL (its ``fts_words`` exists).

Revision ID: 3f8a6c1d2e70
Revises: e4dc2baf12b2
Create Date: 2026-12-06 16:00:00

"""

import re

import sqlalchemy as sa
from alembic import op

revision = "3f8a6c1d2e70"
down_revision = "e4dc2baf12b2"
branch_labels = None
depends_on = None

_WORD = re.compile(r"[^\W_]+")  # as app.search.text.vocabulary_words, on folded text


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    op.execute("CREATE TABLE fts_words (word TEXT NOT NULL PRIMARY KEY)")
    op.execute(
        "CREATE VIRTUAL TABLE fts_words_trgm USING fts5(word, content='fts_words',"
        " content_rowid='rowid', tokenize='trigram')"
    )
    op.execute(
        "CREATE TRIGGER fts_words_added AFTER INSERT ON fts_words BEGIN"
        " INSERT INTO fts_words_trgm (rowid, word) VALUES (new.rowid, new.word); END"
    )
    # fts_search holds each document's title and body folded (lower case, no accents).
    rows = bind.execute(sa.text("SELECT title, body FROM fts_search"))
    words = set()
    for title, body in rows:
        words.update(
            w
            for w in _WORD.findall(f"{title} {body}")
            if 4 <= len(w) <= 30 and not any(c.isdigit() for c in w)
        )
    if words:
        bind.execute(
            sa.text("INSERT OR IGNORE INTO fts_words (word) VALUES (:w)"),
            [{"w": w} for w in sorted(words)],
        )


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    op.execute("DROP TRIGGER IF EXISTS fts_words_added")
    op.execute("DROP TABLE IF EXISTS fts_words_trgm")
    op.execute("DROP TABLE IF EXISTS fts_words")
