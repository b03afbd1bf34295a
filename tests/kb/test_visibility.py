"""IT-only articles, and articles for a group, are never shown to anyone outside their
audience: not on the page, the home, a category, the suggestions, a file, or a ticket."""

from __future__ import annotations

from typing import Any

from app.kb import services
from app.kb.models import KbCategory
from tests.kb.helpers import sign_in_as


def _category(db: Any) -> KbCategory:
    category = KbCategory(name="Printing")
    db.session.add(category)
    db.session.commit()
    return category


def test_it_only_articles_never_reach_employees(
    client: Any, db: Any, people: Any, make_article: Any
) -> None:
    category = _category(db)
    public = make_article("Printer jams: clear tray", category_id=category.id)
    secret = make_article(
        "Printer jams: reset the print server", audience="it_staff", category_id=category.id
    )
    sign_in_as(client, "emp")
    assert client.get(f"/kb/{public.number}").status_code == 200
    assert client.get(f"/kb/{secret.number}").status_code == 404
    for address in ("/kb/", f"/kb/category/{category.id}", "/kb/suggest?q=printer+jams"):
        page = client.get(address).get_data(as_text=True)
        assert "clear tray" in page, address
        assert "print server" not in page, address
    assert services.suggest_articles("printer jams", people.employee) == [public]

    sign_in_as(client, "author")
    assert client.get(f"/kb/{secret.number}").status_code == 200
    assert "print server" in client.get("/kb/suggest?q=printer+jams").get_data(as_text=True)


def test_group_articles_only_for_members(
    client: Any, db: Any, people: Any, make_article: Any
) -> None:
    article = make_article(
        "Expense report approval", audience="group", audience_group_id=people.finance.id
    )
    assert services.may_read(people.finance_employee, article)
    assert not services.may_read(people.employee, article)
    assert services.may_read(people.author, article)  # IT staff support everyone
    sign_in_as(client, "emp")
    assert client.get(f"/kb/{article.number}").status_code == 404
    assert "Expense" not in client.get("/kb/suggest?q=expense+report").get_data(as_text=True)
    sign_in_as(client, "fin")
    assert client.get(f"/kb/{article.number}").status_code == 200


def test_drafts_are_for_it_staff_only(client: Any, db: Any, people: Any, make_article: Any) -> None:
    draft = make_article("Draft about printers", published=False)
    sign_in_as(client, "emp")
    assert client.get(f"/kb/{draft.number}").status_code == 404
    assert "Draft about" not in client.get("/kb/suggest?q=printers").get_data(as_text=True)


def test_files_of_it_only_articles_are_not_served_to_employees(
    client: Any, db: Any, people: Any, make_article: Any
) -> None:
    secret = make_article("Server room", audience="it_staff")
    row = services.add_file(secret, people.author, "rack.png", b"\x89PNG fake")
    db.session.commit()
    sign_in_as(client, "emp")
    assert client.get(f"/kb/files/{row.id}/rack.png").status_code == 404
    sign_in_as(client, "author")
    response = client.get(f"/kb/files/{row.id}/rack.png")
    assert response.status_code == 200
    assert response.data == b"\x89PNG fake"


def test_helpful_votes_once_per_person_per_version(
    client: Any, db: Any, people: Any, make_article: Any
) -> None:
    article = make_article()
    sign_in_as(client, "emp")
    assert client.post(f"/kb/{article.number}/vote", {"helpful": "yes"}).status_code == 302
    assert client.post(f"/kb/{article.number}/vote", {"helpful": "yes"}).status_code == 302
    assert services.vote_counts(article) == (1, 0)
    client.post(f"/kb/{article.number}/vote", {"helpful": "no", "comment": "Tray 3, not 2"})
    assert services.vote_counts(article) == (0, 1)
    # A new version is rated afresh.
    services.update_article(article, people.author, services.ArticleFields(article.title, "v2"))
    services.submit_for_review(article, people.author)
    services.publish(article, people.manager)
    db.session.commit()
    assert services.vote_counts(article) == (0, 0)
    client.post(f"/kb/{article.number}/vote", {"helpful": "yes"})
    assert services.vote_counts(article) == (1, 0)


def test_readers_comments_reach_the_owner_and_managers_only(
    client: Any, db: Any, people: Any, make_user: Any, make_article: Any
) -> None:
    article = make_article()
    make_user("other", roles=["agent"])
    sign_in_as(client, "emp")
    client.post(f"/kb/{article.number}/vote", {"helpful": "no", "comment": "Tray 3, not 2"})
    sign_in_as(client, "fin")
    client.post(f"/kb/{article.number}/vote", {"helpful": "yes", "comment": ""})  # no comment
    assert "Tray 3, not 2" not in client.get(f"/kb/{article.number}").get_data(as_text=True)
    for reader, sees in (("author", True), ("manager", True), ("other", False)):
        sign_in_as(client, reader)
        page = client.get(f"/kb/{article.number}").get_data(as_text=True)
        assert ("Readers' comments" in page) is sees, reader
        assert ("Tray 3, not 2" in page) is sees, reader
        assert page.count("Not helpful") + page.count(">Helpful<") == (1 if sees else 0)


def test_views_are_counted(client: Any, db: Any, people: Any, make_article: Any) -> None:
    article = make_article()
    sign_in_as(client, "emp")
    client.get(f"/kb/{article.number}")
    client.get(f"/kb/{article.number}")
    db.session.refresh(article)
    assert article.view_count == 2


def test_search_facts_carry_the_published_text_and_the_audience(
    db: Any, people: Any, make_article: Any
) -> None:
    article = make_article("Skrivaren skriver inte", "Starta om skrivaren.", language="sv")
    services.update_article(
        article, people.author, services.ArticleFields("Draft title", "draft", language="sv")
    )
    facts = services.search_facts(article)
    assert (facts.title, facts.body, facts.language) == (
        "Skrivaren skriver inte",
        "Starta om skrivaren.",
        "sv",
    )
    assert facts.live
    assert not facts.staff_only
    secret = make_article("Server room", audience="it_staff")
    assert services.search_facts(secret).staff_only
    services.retire(secret, people.author)
    assert not services.search_facts(secret).live


def test_the_header_search_finds_articles_only_for_their_audience(
    client: Any, db: Any, people: Any, make_article: Any
) -> None:
    public = make_article("Toner cartridge replacement", "Open the front cover.")
    secret = make_article("Toner supplier portal login", "Internal.", audience="it_staff")
    draft = make_article("Toner draft notes", published=False)
    sign_in_as(client, "emp")
    page = client.get("/search?q=toner").get_data(as_text=True)
    assert f"/kb/{public.number}" in page
    assert f"/kb/{secret.number}" not in page
    assert f"/kb/{draft.number}" not in page
    sign_in_as(client, "author")
    assert f"/kb/{secret.number}" in client.get("/search?q=toner").get_data(as_text=True)
    services.retire(public, people.author)
    db.session.commit()
    assert f"/kb/{public.number}" not in client.get("/search?q=toner").get_data(as_text=True)


def test_suggestions_find_articles_among_many_matching_tickets(
    app: Any, db: Any, monkeypatch: Any, people: Any, make_article: Any
) -> None:
    """Suggestions read only the first matches found: those of articles, not the tickets
    that use the same words (a busy desk has thousands)."""
    from app.incidents import services as incidents
    from app.search import query

    monkeypatch.setattr(query, "SUGGEST_CAP", 2)
    article = make_article("Printer jams: clear tray 2")
    for floor in range(4):
        incidents.open_incident(
            caller=people.author,
            opened_by=people.author,
            short_description=f"Printer jams on floor {floor}",
        )
    db.session.commit()
    assert services.suggest_articles("printer jams", people.author) == [article]
