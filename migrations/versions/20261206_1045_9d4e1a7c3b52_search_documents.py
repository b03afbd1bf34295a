"""One search index: ``search_documents`` holds a row per searchable thing (a ticket, a CI, a
person, a catalog item; articles later), written by the application in the same transaction as
the row it mirrors (``app/search/index.py``).

The full-text machinery is per dialect and named ``fts_*`` (the models do not describe it; the
model comparison skips that prefix):

* PostgreSQL: ``unaccent`` and ``pg_trgm`` (created in schema ``public`` when missing; both
  ship with PostgreSQL's contrib), a text-search configuration per language that folds accents
  (``fts_english``, ``fts_swedish``, ``fts_simple``), two ``tsvector`` columns kept by a trigger
  (``fts_public``: title weighted A over body B; ``fts_all``: the same plus staff-only notes, C,
  only where there are notes), a GIN index on each, and ``fts_words``, the distinct words of
  titles and bodies with a trigram index, which corrects typos. Where an extension cannot be
  created (no rights), the index works without it: no accent folding, no typo correction.
* SQLite: ``fts_search``, an FTS5 table with the trigram tokenizer (partial words), its rowid
  the document's id, written next to each document.

Revision ID: 9d4e1a7c3b52
Revises: 4e4e16060abb
Create Date: 2026-12-06 10:45:00

"""
from alembic import op
import sqlalchemy as sa


revision = '9d4e1a7c3b52'
down_revision = '4e4e16060abb'
branch_labels = None
depends_on = None

LANGUAGES = ("english", "swedish", "simple")


def upgrade():
    op.create_table('search_documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('source_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('ref', sa.String(length=60), nullable=False),
    sa.Column('language', sa.String(length=20), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_search_documents')),
    sa.UniqueConstraint('source', 'source_id', name=op.f('uq_search_documents_source_source_id'))
    )
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE fts_search USING fts5(title, body, notes, tokenize='trigram')"
        )
    elif bind.dialect.name == "postgresql":
        _postgresql_upgrade(bind)


def _extension(bind, name):
    """The schema holding extension ``name``, created in ``public`` when missing; None when it
    cannot be created here (not shipped, or no right to create extensions)."""
    found = bind.exec_driver_sql(
        "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace"
        " WHERE e.extname = %(name)s", {"name": name}
    ).scalar()
    if found:
        return found
    try:
        with bind.begin_nested():
            bind.exec_driver_sql(f"CREATE EXTENSION IF NOT EXISTS {name} SCHEMA public")
    except sa.exc.DBAPIError as error:
        print(f"search: extension {name} unavailable ({error.orig}); working without it")
        return None
    return "public"


def _postgresql_upgrade(bind):
    unaccent = _extension(bind, "unaccent")
    trgm = _extension(bind, "pg_trgm")
    for language in LANGUAGES:
        copy = "simple" if language == "simple" else language
        op.execute(f"CREATE TEXT SEARCH CONFIGURATION fts_{language} (COPY = pg_catalog.{copy})")
        if unaccent:
            stem = "simple" if language == "simple" else f"{language}_stem"
            op.execute(
                f"ALTER TEXT SEARCH CONFIGURATION fts_{language} ALTER MAPPING FOR"
                f" hword, hword_part, word WITH {unaccent}.unaccent, {stem}"
            )
    op.execute("ALTER TABLE search_documents ADD COLUMN fts_public tsvector")
    op.execute("ALTER TABLE search_documents ADD COLUMN fts_all tsvector")
    op.execute("CREATE TABLE fts_words (word text PRIMARY KEY)")
    languages = ", ".join(f"'{language}'" for language in LANGUAGES)
    op.execute(f"""
CREATE FUNCTION fts_search_documents_vectors() RETURNS trigger LANGUAGE plpgsql AS $$
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
    END IF;
    INSERT INTO fts_words (word)
        SELECT DISTINCT w.lexeme
        FROM unnest(to_tsvector('fts_simple',
                                translate(NEW.title || ' ' || NEW.body, '<>&', '   '))) AS w
        WHERE length(w.lexeme) BETWEEN 4 AND 30 AND w.lexeme !~ '[0-9_]'
    ON CONFLICT DO NOTHING;
    RETURN NEW;
END
$$""")
    op.execute(
        "CREATE TRIGGER fts_search_documents_vectors BEFORE INSERT OR UPDATE OF"
        " language, title, body, notes ON search_documents"
        " FOR EACH ROW EXECUTE FUNCTION fts_search_documents_vectors()"
    )
    op.execute(
        "CREATE INDEX fts_search_documents_public ON search_documents USING gin (fts_public)"
    )
    op.execute("CREATE INDEX fts_search_documents_all ON search_documents USING gin (fts_all)")
    if trgm:
        op.execute(f"CREATE INDEX fts_words_trgm ON fts_words USING gin (word {trgm}.gin_trgm_ops)")
        # The closest known words to a typed one (typos), for the query builder.
        op.execute(f"""
CREATE FUNCTION fts_similar_words(typed text, how_many integer) RETURNS SETOF text
LANGUAGE sql STABLE AS $$
    SELECT word FROM fts_words
    WHERE word OPERATOR({trgm}.%) typed
    ORDER BY {trgm}.similarity(word, typed) DESC, word
    LIMIT how_many
$$""")


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS fts_search")
    elif bind.dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS fts_similar_words(text, integer)")
        op.execute("DROP TABLE IF EXISTS fts_words")
    op.drop_table('search_documents')
    if bind.dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS fts_search_documents_vectors()")
        for language in LANGUAGES:
            op.execute(f"DROP TEXT SEARCH CONFIGURATION IF EXISTS fts_{language}")
