"""The search page and its suggestions are in the reader's language; what was typed is shown
as typed."""

from __future__ import annotations

SWEDISH = {"Accept-Language": "sv-SE,sv;q=0.9"}


def test_the_search_page_is_swedish_for_a_swedish_browser_and_english_by_default(signed_in):
    client, _ = signed_in("employee")
    empty = client.get("/search", headers=SWEDISH).get_data(as_text=True)
    assert "Sök i allt" in empty
    assert "Sök bland ärenden, artiklar, personer och i tjänstekatalogen" in empty
    missed = client.get("/search?q=zzzqqq", headers=SWEDISH).get_data(as_text=True)
    assert "Inga träffar för ”zzzqqq” bland det du får se." in missed
    suggestions = client.get("/search/suggest?q=zzzqqq", headers=SWEDISH)
    assert "Inget hittades." in suggestions.get_data(as_text=True)
    english = client.get("/search?q=zzzqqq").get_data(as_text=True)
    assert "No results match “zzzqqq” among what you may see." in english
    assert "Inga träffar" not in english


def test_result_types_read_in_the_readers_language(db, signed_in, make_incident, make_ci):
    client, agent = signed_in("agent")
    make_incident(caller=agent, short_description="Kingfisher printer jams")
    make_ci("kingfisher-print-01", "application")
    agent.language = "sv"
    db.session.commit()
    swedish = client.get("/search?q=kingfisher").get_data(as_text=True)
    assert ">Ärenden <span" in swedish
    assert ">Konfigurationsobjekt <span" in swedish
    assert ">Tickets <span" not in swedish
    suggestions = client.get("/search/suggest?q=kingfisher").get_data(as_text=True)
    assert '<span class="small text-body-secondary">Ärenden</span>' in suggestions
    missed = client.get("/search?q=zzzqqq&type=ci").get_data(as_text=True)
    assert "Inget i Konfigurationsobjekt matchar ”zzzqqq” bland det du får se." in missed
    agent.language = "en"
    db.session.commit()
    english = client.get("/search?q=kingfisher").get_data(as_text=True)
    assert ">Tickets <span" in english
    assert ">Configuration items <span" in english
