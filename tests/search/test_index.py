"""The index: kept in step with the rows in the same transaction, rebuilt by ``flask search
reindex``, ranked, stemmed per language, partial words and typos, on both databases."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.search.models import SearchDocument


def documents(db, source: str = "ticket") -> dict[int, SearchDocument]:
    rows = db.session.scalars(select(SearchDocument).where(SearchDocument.source == source))
    return {d.source_id: d for d in rows}


def test_a_new_ticket_is_found_after_its_commit(db, make_user, make_incident, find):
    agent = make_user(roles=["agent"])
    incident = make_incident(short_description="Printer jams on floor 3")
    assert documents(db)[incident.id].title == f"{incident.number} Printer jams on floor 3"
    assert find(agent, "printer jams") == [f"{incident.number} Printer jams on floor 3"]
    assert find(agent, incident.number) == [f"{incident.number} Printer jams on floor 3"]


def test_an_edit_and_a_reply_are_indexed_and_a_delete_unindexes(
    db, make_user, make_incident, comment, find
):
    agent = make_user(roles=["agent"])
    incident = make_incident(short_description="Monitor flickers")
    incident.short_description = "Screen flickers"
    db.session.commit()
    assert find(agent, "monitor") == []
    assert find(agent, "screen") == [f"{incident.number} Screen flickers"]
    comment(incident, agent, "Replaced the HDMI cable", public=True)
    assert find(agent, "cable") == [f"{incident.number} Screen flickers"]
    db.session.delete(incident)
    db.session.commit()
    assert incident.id not in documents(db)
    assert find(agent, "screen") == []


def test_a_rolled_back_change_leaves_nothing_in_the_index(db, make_user, find):
    from app.incidents import services

    caller = make_user()
    services.open_incident(caller=caller, opened_by=caller, short_description="Zebra badge")
    db.session.flush()
    db.session.rollback()
    assert documents(db) == {}
    assert find(make_user(roles=["agent"]), "zebra") == []


def test_a_title_match_ranks_above_a_body_match(db, make_user, make_incident, find):
    agent = make_user(roles=["agent"])
    in_body = make_incident(
        short_description="Slow laptop", description="Maybe the docking station is at fault."
    )
    in_title = make_incident(short_description="Docking station dead")
    assert find(agent, "docking") == [
        f"{in_title.number} Docking station dead",
        f"{in_body.number} Slow laptop",
    ]


def test_suggestions_rank_what_they_read_when_more_match(
    app, db, monkeypatch, make_user, make_incident
):
    """While typing, only the first matches found are read, but those are still ranked: a
    title match comes before newer body matches (a search would list the newest first)."""
    from app.search import query

    monkeypatch.setattr(query, "SUGGEST_CAP", 3)
    agent = make_user(roles=["agent"])
    in_title = make_incident(short_description="Docking station dead")
    for n in range(4):
        make_incident(short_description=f"Slow laptop {n}", description="The docking station?")
    with app.test_request_context():
        suggested = [h.document.title for h in query.suggest(agent, "dockin", limit=2)]
        searched = query.search(agent, "dockin", per_page=2)
    assert suggested[0] == f"{in_title.number} Docking station dead"
    assert len(suggested) == 2
    assert searched.capped is False  # five matches, under the search's cap: all ranked
    assert searched.hits[0].document.title == suggested[0]


def test_past_the_cap_the_newest_matches_come_first_page_after_page(
    app, db, monkeypatch, make_user, make_incident
):
    """More matches than the cap: the count stops there (shown as "3+") and the pages list
    the newest first, the second page going on where the first stopped."""
    from app.search import query

    monkeypatch.setattr(query, "COUNT_CAP", 3)
    agent = make_user(roles=["agent"])
    made = [make_incident(short_description=f"Docking station {n}") for n in range(5)]
    with app.test_request_context():
        first = query.search(agent, "docking", cap=3, per_page=2)
        second = query.search(agent, "docking", cap=3, per_page=2, page=2)
    assert first.capped is True
    assert first.total == 3
    newest = [f"{i.number} {i.short_description}" for i in reversed(made)]
    assert [h.document.title for h in first.hits + second.hits] == newest[:4]


def test_swedish_words_are_found_from_another_form(db, make_user, make_incident, find):
    agent = make_user(roles=["agent"])
    incident = make_incident(
        short_description="Skrivaren fungerar inte", description="Det är papper som fastnar."
    )
    assert documents(db)[incident.id].language in {"swedish", "english"}
    assert find(agent, "skrivare") == [f"{incident.number} Skrivaren fungerar inte"]


def test_part_of_a_word_finds_it(db, make_user, make_incident, find):
    agent = make_user(roles=["agent"])
    incident = make_incident(short_description="Printer offline")
    assert find(agent, "printe") == [f"{incident.number} Printer offline"]


@pytest.mark.parametrize("most", [30, 1])
def test_a_partial_word_finds_every_word_it_starts(
    db, monkeypatch, make_user, make_incident, comment, find, most
):
    """Named exactly (few completions) or left a prefix (more than ``most``), a partial word
    finds the same tickets: each word it starts, in a title, a body or a note."""
    from app.search import query

    monkeypatch.setattr(query, "MAX_COMPLETIONS", most)
    agent = make_user(roles=["agent"])
    titles = [
        make_incident(short_description=t, description=d)
        for t, d in [
            ("Printer offline", ""),
            ("Printing is slow", ""),
            ("Laptop", "The printouts are blank"),
            ("Paper jam", "Toner low"),
        ]
    ]
    in_note = make_incident(short_description="Scanner")
    comment(in_note, agent, "Printhead worn", public=False)
    expected = {f"{i.number} {i.short_description}" for i in titles[:3] + [in_note]}
    assert set(find(agent, "print")) == expected


def test_a_partial_word_is_not_taken_for_a_typo_of_another_word(db, make_user, make_incident, find):
    """``monito`` starts ``monitor``: it finds the monitor, not also the tickets of ``monit``,
    a known word as close to it as a typo would be."""
    agent = make_user(roles=["agent"])
    monitor = make_incident(short_description="Monitor flickers")
    make_incident(short_description="Monit agent down")
    assert find(agent, "monito") == [f"{monitor.number} Monitor flickers"]
    assert f"{monitor.number} Monitor flickers" in find(agent, "montior")  # a typo is corrected


def test_accents_are_ignored(db, make_user, make_incident, find):
    agent = make_user(roles=["agent"])
    incident = make_incident(short_description="Café wifi is down")
    assert find(agent, "cafe") == [f"{incident.number} Café wifi is down"]


def test_a_typo_still_finds_the_word(db, make_user, make_incident, find):
    agent = make_user(roles=["agent"])
    incident = make_incident(short_description="Printer offline")
    make_incident(short_description="Mouse lost", description="Its pointer is gone.")
    assert find(agent, "pirnter")[0] == f"{incident.number} Printer offline"  # title first
    assert find(agent, "ofline printr") == [f"{incident.number} Printer offline"]
    assert find(agent, "zqxwvy") == []  # like nothing known: no correction


def test_reindex_rebuilds_every_document(app, db, make_user, make_incident, find):
    from app.search.index import reindex

    agent = make_user(roles=["agent"])
    incident = make_incident(short_description="Keyboard missing keys")
    ticket_id, title = incident.id, f"{incident.number} Keyboard missing keys"
    db.session.execute(SearchDocument.__table__.update().values(title="stale"))
    counts = reindex()
    assert counts["ticket"] >= 1
    assert counts["person"] >= 1
    assert documents(db)[ticket_id].title == title
    assert find(agent, "keyboard") == [title]


def test_reindex_writes_through_the_bulk_path_and_keeps_partial_words_and_typos(
    app, db, make_user, make_incident, find, monkeypatch
):
    from sqlalchemy import text

    from app.search import index

    agent = make_user(roles=["agent"])
    incident = make_incident(short_description="Projector overheats")
    title = f"{incident.number} Projector overheats"
    db.session.execute(text("DELETE FROM fts_words"))
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("DELETE FROM fts_lexemes"))
    db.session.commit()
    batches: list[int] = []
    write_bulk = index.write_bulk

    def counted(source, ids, **kwargs):
        batches.append(len(ids))
        return write_bulk(source, ids, **kwargs)

    monkeypatch.setattr(index, "write_bulk", counted)
    counts = index.reindex(["ticket"])
    assert counts == {"ticket": 1}
    assert batches == [1]  # the bulk path, one batch
    assert find(agent, "projec") == [title]  # a partial word: its completions are known again
    assert find(agent, "porjector") == [title]  # a typo: the vocabulary is back


def test_flask_search_reindex_reports_counts_and_refuses_unknown_sources(app, db):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["search", "reindex", "--source", "person"])
    assert result.exit_code == 0, result.output
    assert "person:" in result.output
    result = runner.invoke(args=["search", "reindex", "--source", "nonsense"])
    assert result.exit_code != 0
    assert "unknown source nonsense" in result.output


def test_a_bulk_insert_that_bypasses_the_flush_is_caught_up_at_commit(
    db, make_user, ci_class, find
):
    from sqlalchemy import delete, insert

    from app.cmdb.models import ConfigurationItem

    server = ci_class("server")
    db.session.execute(
        insert(ConfigurationItem),
        [
            {"name": name, "class_id": server.id, "description": "Imported"}
            for name in ("lynx-app-01", "lynx-app-02")
        ],
    )
    db.session.commit()
    agent = make_user(roles=["agent"])
    assert sorted(find(agent, "lynx")) == ["lynx-app-01", "lynx-app-02"]
    db.session.execute(delete(ConfigurationItem).where(ConfigurationItem.name == "lynx-app-02"))
    db.session.commit()
    assert find(agent, "lynx") == ["lynx-app-01"]


def test_a_change_that_no_document_reads_rewrites_nothing(db, make_user, make_incident):
    from app.timeutils import utc_now

    person = make_user(display_name="Otto Otter")
    incident = make_incident(short_description="Otter projector")
    before = {d.source_id: d.updated_at for d in documents(db).values()}
    person_doc = documents(db, "person")[person.id].updated_at
    person.last_login_at = utc_now()
    incident.state = "in_progress"
    db.session.commit()
    assert documents(db)[incident.id].updated_at == before[incident.id]
    assert documents(db, "person")[person.id].updated_at == person_doc
    person.display_name = "Otto Otterson"
    db.session.commit()
    assert documents(db, "person")[person.id].title == "Otto Otterson"


def test_a_long_document_with_notes_keeps_its_vectors_in_the_row(
    db, make_user, make_incident, comment, find
):
    """A document over PostgreSQL's 2 kB toast threshold (a ticket with a long description and
    work notes) is still found by its body, its notes and a partial word; on PostgreSQL its
    vectors stay in the row (storage ``MAIN``): a search reading the table would otherwise
    fetch ``fts_all`` of every such row through the TOAST index (docs/benchmarks.md,
    search16b)."""
    from sqlalchemy import text

    agent = make_user(roles=["agent"])
    words = [f"w{n:04d}x" for n in range(160)]
    incident = make_incident(short_description="Docking station", description=" ".join(words))
    comment(incident, agent, " ".join(f"n{n:04d}y" for n in range(160)), public=False)
    title = f"{incident.number} Docking station"
    assert find(agent, "w0042x") == [title]
    assert find(agent, "n0099y") == [title]
    assert find(agent, "dockin") == [title]
    if db.engine.dialect.name == "postgresql":
        size, storage = db.session.execute(
            text(
                "SELECT pg_column_size(d.*),"
                " (SELECT string_agg(attstorage::text, '' ORDER BY attname) FROM pg_attribute"
                "  WHERE attrelid = 'search_documents'::regclass"
                "  AND attname IN ('fts_all', 'fts_public'))"
                " FROM search_documents d WHERE source = 'ticket' AND source_id = :id"
            ),
            {"id": incident.id},
        ).one()
        assert size > 2032  # past the toast threshold
        assert storage == "mm"
