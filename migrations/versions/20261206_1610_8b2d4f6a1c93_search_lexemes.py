"""Faster partial words on PostgreSQL: ``fts_lexemes``, every lexeme the vectors hold (``C``
collation, so a btree finds those that start with a prefix). A partial word's ``'print':*``
makes GIN collect each matching entry's documents one by one, about three times slower than
the same lexemes named exactly; the application names them exactly when there are few
(``app.search.query``). Lexemes are never removed: one whose documents are gone finds
nothing. The trigger adds the lexemes of every document it writes; the existing ones are
filled here. Nothing changes on SQLite.

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


def _trigger(lexemes: bool) -> str:
    languages = ", ".join(f"'{language}'" for language in LANGUAGES)
    keep = (
        """
    INSERT INTO fts_lexemes (lexeme)
        SELECT l FROM unnest(tsvector_to_array(coalesce(NEW.fts_all, NEW.fts_public))) AS l
    ON CONFLICT DO NOTHING;"""
        if lexemes
        else ""
    )
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
    IF NEW.notes = '' THEN
        NEW.fts_all := NULL;
    ELSE
        NEW.fts_all := NEW.fts_public
                    || setweight(to_tsvector(config, translate(NEW.notes, '<>&', '   ')), 'C');
    END IF;{keep}
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
    op.execute(_trigger(lexemes=True))
    op.execute(
        "INSERT INTO fts_lexemes (lexeme)"
        " SELECT DISTINCT unnest(tsvector_to_array(coalesce(fts_all, fts_public)))"
        " FROM search_documents ON CONFLICT DO NOTHING"
    )


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(_trigger(lexemes=False))
    op.execute("DROP TABLE IF EXISTS fts_lexemes")
