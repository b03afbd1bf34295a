"""Faster partial words and agents' searches on PostgreSQL.

* ``fts_all`` (title A, body B, staff-only notes C) is now kept for every document, not only
  those with notes, so a search that may read notes reads this one GIN index instead of OR-ing
  ``fts_public`` and ``fts_all``.
* ``fts_lexemes``: every lexeme the vectors hold (``C`` collation, so a btree finds those that
  start with a prefix). A partial word's ``'print':*`` makes GIN collect each matching entry's
  documents one by one, about three times slower than the same lexemes named exactly; the
  application names them exactly when there are few (``app.search.query``). Lexemes are
  never removed: one whose documents are gone finds nothing.

The trigger does both for every write; the existing rows are filled here. Nothing changes on
SQLite.

Revision ID: 8b2d4f6a1c93
Revises: 3f8a6c1d2e70
Create Date: 2026-12-06 16:10:00

"""

from alembic import op

revision = "8b2d4f6a1c93"
down_revision = "3f8a6c1d2e70"
branch_labels = None
depends_on = None

LANGUAGES = ("english", "swedish", "simple")


def _trigger(every_row: bool) -> str:
    languages = ", ".join(f"'{language}'" for language in LANGUAGES)
    if every_row:
        notes = """    NEW.fts_all := NEW.fts_public
                || setweight(to_tsvector(config, translate(NEW.notes, '<>&', '   ')), 'C');
    INSERT INTO fts_lexemes (lexeme)
        SELECT l FROM unnest(tsvector_to_array(NEW.fts_all)) AS l
    ON CONFLICT DO NOTHING;"""
    else:
        notes = """    IF NEW.notes = '' THEN
        NEW.fts_all := NULL;
    ELSE
        NEW.fts_all := NEW.fts_public
                    || setweight(to_tsvector(config, translate(NEW.notes, '<>&', '   ')), 'C');
    END IF;"""
    return f"""
CREATE OR REPLACE FUNCTION fts_search_documents_vectors() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    config regconfig := ('fts_' || CASE WHEN NEW.language IN ({languages})
                                        THEN NEW.language ELSE 'simple' END)::regconfig;
BEGIN
    -- The parser would take "<b>" and "&amp;" for markup and drop what they enclose: people
    -- type such characters as text, so they are read as spaces.
    NEW.fts_public := setweight(to_tsvector(config, translate(NEW.title, '<>&', '   ')), 'A')
                   || setweight(to_tsvector(config, translate(NEW.body, '<>&', '   ')), 'B');
{notes}
    INSERT INTO fts_words (word)
        SELECT DISTINCT w.lexeme
        FROM unnest(to_tsvector('fts_simple',
                                translate(NEW.title || ' ' || NEW.body, '<>&', '   '))) AS w
        WHERE length(w.lexeme) BETWEEN 4 AND 30 AND w.lexeme !~ '[0-9_]'
    ON CONFLICT DO NOTHING;
    RETURN NEW;
END
$$"""


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute('CREATE TABLE fts_lexemes (lexeme text COLLATE "C" PRIMARY KEY)')
    op.execute(_trigger(every_row=True))
    # Only fts_all is written: the trigger (on language, title, body, notes) does not run.
    op.execute("UPDATE search_documents SET fts_all = fts_public WHERE fts_all IS NULL")
    op.execute(
        "INSERT INTO fts_lexemes (lexeme) SELECT DISTINCT unnest(tsvector_to_array(fts_all))"
        " FROM search_documents ON CONFLICT DO NOTHING"
    )


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(_trigger(every_row=False))
    op.execute("UPDATE search_documents SET fts_all = NULL WHERE notes = ''")
    op.execute("DROP TABLE IF EXISTS fts_lexemes")
