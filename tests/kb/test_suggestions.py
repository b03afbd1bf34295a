"""The articles suggested while a person types a problem share its meaningful words: a word
every problem report uses ("shows", "error", "not working") never carries a match alone, and
no suggestion is better than a wrong one."""

from __future__ import annotations

import re
from typing import Any

import pytest

from app.incidents import services as incidents
from tests.kb.helpers import sign_in_as

INTRANET = "Intranet answers with error 500"
PRINTER = "Printer shows paper jam"


@pytest.fixture
def articles(make_article: Any) -> None:
    make_article(
        INTRANET,
        "The intranet's server restarts at night; an error 500 then means it is not back yet."
        " Wait ten minutes and reload the page.",
        keywords="intranet portal 500",
    )
    make_article(PRINTER, "Open tray 2 and remove the paper.", keywords="printer paper jam tray")
    make_article("VPN does not connect from home", "Restart AnyConnect.", keywords="vpn remote")
    make_article("Install software from the company portal", "Open the Software Center.")


def suggested(client: Any, typed: str) -> list[str]:
    """The titles of the articles suggested beside the report form, in their order (none:
    the panel says so, so that a change of its markup cannot pass for "nothing suggested")."""
    page = client.get("/kb/suggest", query_string={"short_description": typed})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    titles = re.findall(r'target="_blank" rel="noopener">([^<]+)</a>', html)
    assert bool(titles) != ("No article matches yet" in html), html
    return titles


def test_the_specific_words_find_the_article_and_a_common_verb_finds_nothing_more(
    client: Any, people: Any, articles: None
) -> None:
    sign_in_as(client, "emp")
    found = suggested(client, "Intranet shows an error 500")
    assert found[:1] == [INTRANET]
    assert PRINTER not in found


def test_the_words_of_a_printer_jam_find_the_printer_article(
    client: Any, people: Any, articles: None
) -> None:
    sign_in_as(client, "emp")
    assert suggested(client, "printer paper jam") == [PRINTER]


def test_short_telling_words_count(client: Any, people: Any, articles: None) -> None:
    sign_in_as(client, "emp")
    assert suggested(client, "500 on every page") == [INTRANET]
    assert suggested(client, "VPN is not working") == ["VPN does not connect from home"]


def test_only_words_every_report_uses_suggest_nothing(
    client: Any, people: Any, articles: None
) -> None:
    sign_in_as(client, "emp")
    assert suggested(client, "it shows an error") == []
    assert suggested(client, "It is not working, I cannot do anything") == []
    page = client.get("/kb/suggest", query_string={"short_description": "it shows an error"})
    assert "No article matches yet" in page.get_data(as_text=True)


def test_the_incident_category_does_not_crowd_out_its_words(
    client: Any, db: Any, people: Any, articles: None
) -> None:
    incident = incidents.open_incident(
        caller=people.employee,
        opened_by=people.employee,
        short_description="Intranet shows an error 500",
        category="software",
    )
    db.session.commit()
    sign_in_as(client, "author")
    panel = client.get(f"/kb/incidents/{incident.number}/panel").get_data(as_text=True)
    assert INTRANET in panel
    assert "Install software" not in panel
    assert PRINTER not in panel


def test_words_typed_with_accents_find_their_article(
    client: Any, people: Any, make_article: Any
) -> None:
    """The desk's second search language: "lösenord" as typed is the article's word, whose
    text the fit is checked against without accents."""
    make_article(
        "Glömt lösenord",
        "Återställ lösenordet på självserviceportalen och logga in igen.",
        keywords="lösenord inloggning",
    )
    make_article(PRINTER, "Open tray 2 and remove the paper.", keywords="printer paper jam tray")
    sign_in_as(client, "emp")
    assert suggested(client, "Jag har glömt mitt lösenord") == ["Glömt lösenord"]
    assert suggested(client, "lösenord") == ["Glömt lösenord"]


def test_words_the_index_does_not_know_read_no_articles(
    client: Any, people: Any, articles: None
) -> None:
    """While a person types, a word the index finds nowhere costs the index's search only."""
    from tests.conftest import count_queries

    sign_in_as(client, "emp")
    with count_queries() as statements:
        assert suggested(client, "quetzalcoatl") == []
    assert not [s for s in statements if "kb_articles.keywords" in s]
    assert suggested(client, "intranet") == [INTRANET]  # a known word still reads them
