"""SQLite ranks a search of several words with bm25 computed from the matching rows (FTS5's
own ``bm25`` counts every document holding each word: most of such a search's time), so
the order stays bm25's: title over body, rare words over common ones."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Float, Integer, column, literal_column, select, table, text

from app.search.text import fts5_averages


@pytest.fixture
def sqlite_only(db: Any) -> None:
    if db.engine.dialect.name != "sqlite":
        pytest.skip("FTS5 ranking: SQLite only")


def test_fts5_averages_reads_sqlite_varints() -> None:
    # 2 rows; 5, 300 (two bytes: 0x82 0x2c) and 0 tokens per column
    assert fts5_averages(bytes([0x02, 0x05, 0x82, 0x2C, 0x00])) == (2, [5, 300, 0])
    assert fts5_averages(b"") == (0, [])


@pytest.mark.usefixtures("sqlite_only")
def test_the_computed_scores_are_fts5s_bm25_with_exact_counts(
    db, monkeypatch, make_user, make_incident, comment
):
    """With every document counted (no estimate), each matching row's score is what FTS5's
    ``bm25(fts_search, 10, 1, 1)`` gives it: repeats, long and short texts, notes."""
    from app.search import query
    from app.search.models import SearchDocument as D
    from app.search.text import fts5_expression, fts5_phrases, parse

    monkeypatch.setattr(query, "DF_SAMPLE", 1_000_000)
    agent = make_user(roles=["agent"])
    make_incident(short_description="Docking station dead", description="The screen is dark")
    make_incident(short_description="Screen flickers", description="docking docking station")
    long_one = make_incident(
        short_description="Laptop slow",
        description="The docking station " + "and the long story of it " * 20 + "screen",
    )
    comment(long_one, agent, "Docking station screen swapped", public=False)
    make_incident(short_description="Docking only", description="nothing else here")
    parsed = parse("docking screen")
    columns = ["title", "body", "notes"]
    expression = fts5_expression(parsed, columns)
    fts = table("fts_search", column("rowid", Integer))
    bm25 = dict(
        db.session.execute(
            select(fts.c.rowid, literal_column("-bm25(fts_search, 10.0, 1.0, 1.0)", Float))
            .select_from(fts)
            .where(literal_column("fts_search").op("MATCH")(expression))
        ).all()
    )
    assert len(bm25) == 3
    weights = query._sqlite_phrase_weights(fts5_phrases(parsed), columns)
    found = query._sqlite_scores(weights, columns, D.id.in_(list(bm25)))
    computed = dict(db.session.execute(select(found.c.doc_id, text("fts.score"))).all())
    assert computed == pytest.approx(bm25)


@pytest.mark.usefixtures("sqlite_only")
def test_a_rare_words_title_match_ranks_above_a_common_ones(
    db, monkeypatch, make_user, make_incident, find
):
    """Two words, one in many tickets: the ticket with the rare word in its title comes
    before a newer, shorter one with the common word in its title, although only the newest
    two matches of each word are read to weigh them."""
    from app.search import query

    monkeypatch.setattr(query, "DF_SAMPLE", 2)
    agent = make_user(roles=["agent"])
    for n in range(12):
        make_incident(short_description=f"Printer queue {n}", description="Stuck jobs")
    rare_in_title = make_incident(
        short_description="Zebra label is stuck", description="The printer in the hall jams"
    )
    common_in_title = make_incident(short_description="Printer off", description="A zebra")
    for n in range(12):
        make_incident(short_description=f"Printer tray {n}", description="Empty")
    assert find(agent, "printer zebra") == [
        f"{rare_in_title.number} Zebra label is stuck",
        f"{common_in_title.number} Printer off",
    ]


@pytest.mark.usefixtures("sqlite_only")
def test_one_common_word_is_ranked_as_fts5_ranks_it(
    app, db, monkeypatch, make_user, make_incident, comment
):
    """A word held by more documents than FTS5's bm25 should count is scored per row: the
    suggestions come in the order bm25 gives them, a title match first."""
    from app.search import query

    agent = make_user(roles=["agent"])
    make_incident(short_description="Slow laptop", description="The docking station is odd")
    make_incident(short_description="Docking station dead")
    repeated = make_incident(short_description="Screen", description="docking, docking again")
    comment(repeated, agent, "Docking station swapped", public=False)
    make_incident(short_description="Mouse", description="A docking station " + "word " * 40)

    def suggested() -> list[str]:
        with app.test_request_context():
            return [h.document.title for h in query.suggest(agent, "docking", limit=10)]

    monkeypatch.setattr(query, "BM25_AFFORDABLE", 1_000_000)
    by_fts5 = suggested()
    monkeypatch.setattr(query, "BM25_AFFORDABLE", 0)
    assert suggested() == by_fts5
    assert len(by_fts5) == 4
    assert by_fts5[0].endswith("Docking station dead")
