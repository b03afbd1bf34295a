"""Knowledge articles in several languages: a translation is an article of its own (written,
reviewed and published as any other) linked to its original; a reader is shown the version in
their language, else the original with a note that it is not translated yet. The Swedish
version is indexed with the Swedish text-search configuration. On SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from app.errors import Invalid
from app.kb import services
from app.kb.search_source import SOURCE
from tests.kb.helpers import sign_in_as

NOTE = "Den här artikeln finns inte på svenska än."


@pytest.fixture
def printer(make_article):
    return make_article("Printer shows paper jam", "Open tray 2 and remove the paper.")


def test_a_swedish_reader_is_shown_the_swedish_version(client, db, people, make_article, printer):
    swedish = make_article(
        "Skrivaren visar pappersstopp",
        "Öppna fack 2 och ta bort papperet.",
        language="sv",
        translation_of=printer.number,
    )
    assert swedish.translation_of_id == printer.id
    people.employee.language = "sv"
    db.session.commit()
    sign_in_as(client, people.employee.username)

    shown = client.get(f"/kb/{printer.number}")
    assert shown.status_code == 302
    assert shown.location.endswith(f"/kb/{swedish.number}")
    page = client.get(shown.location).get_data(as_text=True)
    assert "Öppna fack 2" in page
    assert NOTE not in page
    assert f'href="/kb/{printer.number}?as_is=1"' in page  # the English one, on request
    english = client.get(f"/kb/{printer.number}?as_is=1").get_data(as_text=True)
    assert "Open tray 2" in english

    people.employee.language = "en"
    db.session.commit()
    assert client.get(f"/kb/{printer.number}").status_code == 200  # English reader: as is
    assert client.get(f"/kb/{swedish.number}").location.endswith(f"/kb/{printer.number}")


def test_without_a_swedish_version_the_original_shows_with_a_note(
    client, db, people, make_article, printer
):
    draft = make_article(
        "Skrivaren visar pappersstopp",
        "Utkast.",
        language="sv",
        translation_of=printer.number,
        published=False,
    )
    people.employee.language = "sv"
    db.session.commit()
    sign_in_as(client, people.employee.username)
    page = client.get(f"/kb/{printer.number}")
    assert page.status_code == 200  # an unpublished translation is not shown
    body = page.get_data(as_text=True)
    assert "Open tray 2" in body
    assert NOTE in body
    assert draft.number not in body


def test_a_translation_names_an_original_in_another_language(make_article, people, printer):
    swedish = make_article("Skrivare", "Text.", language="sv", translation_of=printer.number)

    def write(**fields):
        services.create_article(
            people.author, services.ArticleFields(title="T", body="B", **fields)
        )

    for fields, problem in [
        ({"language": "sv", "translation_of": "KB9999999"}, "There is no article"),
        ({"language": "en", "translation_of": printer.number}, "already in this language"),
        ({"language": "sv", "translation_of": printer.number}, "already has a translation"),
        ({"language": "de", "translation_of": swedish.number}, "is itself a translation"),
    ]:
        with pytest.raises(Invalid) as refused:
            write(**fields)
        assert problem in refused.value.field_errors["translation_of"][0]


def test_the_swedish_version_is_indexed_as_swedish(make_article, printer):
    swedish = make_article("Skrivare", "Text.", language="sv", translation_of=printer.number)
    documents = {d.ref: d for d in SOURCE.documents([printer.id, swedish.id])}
    assert documents[swedish.number].language == "swedish"
    assert documents[printer.number].language == "english"
