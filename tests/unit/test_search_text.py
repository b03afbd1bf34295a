"""What a search string means (``app.search.text``): typed operators never reach an engine,
only quoted FTS5 strings and tsquery words built from letters and digits."""

from __future__ import annotations

import re

import pytest

from app.search import text


def test_words_phrases_or_and_exclusions_are_understood():
    query = text.parse('printer "paper jam" OR toner -laser')
    assert [[t.text for t in choice] for choice in query.required] == [
        ["printer"],
        ["paper jam", "toner"],
    ]
    assert [t.text for t in query.excluded] == ["laser"]
    assert text.fts5_expression(query, ["title", "body"]) == (
        '(({title body} : "printer") AND ({title body} : "paper jam" OR {title body} : "toner"))'
        ' NOT {title body} : "laser"'
    )
    assert text.tsquery_expression(query, {"printer": ["printers"]}) == (
        "((printer:* | printers)) & ((paper <-> jam) | toner:*) & !laser"
    )


@pytest.mark.parametrize(
    "raw",
    ['"', '""""', "a:b* (c) {d} ^e NEAR(f g)", "&|!<->:*'\\", 'x" OR "y', "\x00\ud800 -", "-"],
)
def test_operators_become_quoted_text_or_nothing(raw):
    query = text.parse(raw)
    fts = text.fts5_expression(query, ["title"])
    if fts is not None:  # every operand a quoted string, quotes doubled inside
        bare = re.sub(r'"(?:[^"]|"")*"', "", fts)
        assert set(re.sub(r"\{title\}|AND|OR|NOT", "", bare)) <= set("() :")
    if query:
        assert re.fullmatch(r"[\w:*|&!<>()\- ]+", text.tsquery_expression(query))


def test_long_input_is_cut_and_control_characters_and_lone_surrogates_dropped():
    cleaned, cut = text.clean("a\x00b\ud800c " + "z" * 10_000)
    assert cleaned.startswith("a bc z")
    assert len(cleaned) <= text.MAX_QUERY
    assert cut


def test_folding_ignores_case_and_accents_position_by_position():
    assert text.fold("Åsa ÖBERG Café") == "asa oberg cafe"
    assert len(text.fold("ﬁ Ǆ")) == len("ﬁ Ǆ")


def test_swedish_is_told_from_english():
    langs = ("english", "swedish")
    assert (
        text.guess_language("Skrivaren fungerar inte på tredje våningen", langs, "x") == "swedish"
    )
    assert text.guess_language("The printer on the third floor is not working", langs, "x") == (
        "english"
    )
    assert text.guess_language("INC0001234", langs, "english") == "english"


def test_an_excerpt_marks_matches_around_the_first_one():
    body = "word " * 100 + "the Printers jammed again " + "word " * 100
    segments = text.excerpt(body, text.parse("printer"))
    assert segments[0] == ("… ", False)
    assert ("Printer", True) in segments
    assert segments[-1] == (" …", False)


def test_union_of_keeps_each_alternative_once():
    # English and Swedish often read a query alike; a word typed in full is also a prefix.
    assert text.union_of(["'lik'", "'lik':*", "'lik'", "'lik':*"]) == "'lik':*"
    assert text.union_of(["'printer' & 'jam'"] * 4) == "'printer' & 'jam'"
    # Different stems in two languages stay alternatives; empty parts (stop words) go.
    assert text.union_of(["'print':* & 'jam'", "", "'printe':* & 'jam'"]) == (
        "( 'print':* & 'jam' ) | ( 'printe':* & 'jam' )"
    )
    assert text.union_of(["", " "]) == ""


def test_similarity_counts_trigrams_as_pg_trgm_does():
    # What PostgreSQL 15's pg_trgm says of these pairs
    assert text.similarity("word", "words") == pytest.approx(0.5714286)
    assert text.similarity("printer", "pirnter") == pytest.approx(0.33333334)
    assert text.similarity("printer", "pointer") == pytest.approx(0.45454547)
    assert text.similarity("offline", "ofline") == pytest.approx(0.6666667)
    assert text.similarity("printer", "printer") == 1.0
    # equally close: the first in alphabetical order first
    assert text.closest("pirnter", ["printer", "pointer", "desk", "pirnter"]) == [
        "pointer",
        "printer",
    ]
    assert text.closest("zqxwvy", ["printer", "desk"]) == []


def test_the_vocabulary_keeps_folded_words_of_four_to_thirty_letters():
    assert text.vocabulary_words("Café INC0001234 on the 3rd floor, db_backup") == {
        "cafe",
        "floor",
        "backup",
    }


def test_fts5_expression_adds_corrections_as_alternatives():
    query = text.parse("pirnter jam")
    expression = text.fts5_expression(query, ["title"], {"pirnter": ["printer"]})
    assert expression == '({title} : "pirnter" OR {title} : "printer") AND ({title} : "jam")'


def test_prefixes_are_named_exactly_where_their_lexemes_are_known():
    printed = "'print':* | 'printer' & 'jam':* | 'o''neil':*"
    assert text.tsquery_prefixes(printed) == ["jam", "o'neil", "print"]
    expanded = text.expand_prefixes(printed, {"print": ["print", "printer"], "o'neil": ["o'neil"]})
    assert expanded == "( 'print' | 'printer' ) | 'printer' & 'jam':* | ( 'o''neil' )"
    assert text.expand_prefixes(printed, {"print": []}) == printed  # unknown: left a prefix


def test_a_disjunction_of_lexemes_names_each_once():
    # A partial word's completions, as English and Swedish both read them
    assert text.once_each("( 'print' | 'printer' ) | ( 'printer' | 'print':* )") == (
        "'print' | 'printer' | 'print':*"
    )
    assert text.once_each("'it''s' | 'it''s'") == "'it''s'"
    # Anything but ORs of lexemes is left as it is
    for kept in ["'print' & 'jam' | 'print'", "!'jam' | 'jam'", "'a' <-> 'b' | 'a'", ""]:
        assert text.once_each(kept) == kept
