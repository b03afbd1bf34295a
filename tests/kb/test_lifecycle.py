"""Articles move draft → in review → published → retired, each step by whom it belongs to;
every published version is kept with its approver, and versions can be compared."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from app.errors import Invalid
from app.kb import services
from app.kb.models import Article, ArticleState
from tests.kb.helpers import sign_in_as


def number_of(client: Any, title: str, db: Any) -> str:
    return db.session.scalar(select(Article.number).where(Article.title == title))


def test_an_author_writes_a_manager_publishes_and_readers_see_it(
    client: Any, db: Any, people: Any
) -> None:
    sign_in_as(client, "author")
    response = client.post(
        "/kb/new",
        {"title": "VPN will not connect", "body": "Restart the **VPN** client.", "language": "en",
         "audience": "everyone"},
    )  # fmt: skip
    assert response.status_code == 302
    number = number_of(client, "VPN will not connect", db)
    page = client.get(f"/kb/{number}")
    assert "Draft" in page.get_data(as_text=True)
    version = db.session.scalar(select(Article.version).where(Article.number == number))
    assert client.post(f"/kb/{number}/submit", {"version": version}).status_code == 302
    # The author is no knowledge manager: publishing is refused.
    assert client.post(f"/kb/{number}/publish", {"version": version + 1}).status_code == 403

    sign_in_as(client, "emp")
    assert client.get(f"/kb/{number}").status_code == 404  # nothing published yet

    sign_in_as(client, "manager")
    assert client.post(f"/kb/{number}/publish", {"version": version + 1}).status_code == 302
    db.session.expire_all()
    article = db.session.scalar(select(Article).where(Article.number == number))
    assert article.state == ArticleState.PUBLISHED
    assert article.versions[0].approved_by.username == "manager"

    sign_in_as(client, "emp")
    page = client.get(f"/kb/{number}")
    assert page.status_code == 200
    assert "<strong>VPN</strong>" in page.get_data(as_text=True)


def test_transitions_out_of_order_are_refused(db: Any, people: Any, make_article: Any) -> None:
    article = make_article(published=False)
    with pytest.raises(Invalid):
        services.publish(article, people.manager)  # not in review
    services.submit_for_review(article, people.author)
    with pytest.raises(Invalid):
        services.update_article(article, people.author, services.ArticleFields("T", "B"))
    services.send_back(article, people.author)
    assert article.state == ArticleState.DRAFT


def test_editing_a_published_article_keeps_the_published_version_readable(
    db: Any, people: Any, make_article: Any
) -> None:
    article = make_article("Reset your password", "Use the portal.")
    services.update_article(
        article, people.author, services.ArticleFields("Reset your password", "Use the new portal.")
    )
    db.session.commit()
    assert article.state == ArticleState.DRAFT
    assert services.may_read(people.employee, article)
    assert article.current.body == "Use the portal."
    services.submit_for_review(article, people.author)
    services.publish(article, people.manager)
    db.session.commit()
    assert [v.number for v in article.versions] == [1, 2]
    assert article.current.body == "Use the new portal."
    lines = services.version_diff(article, 1, 2)
    assert lines is not None
    assert ("added", "Use the new portal.") in {(x.kind, x.text) for x in lines}
    assert services.version_diff(article, 1, 9) is None


def test_the_versions_page_shows_the_diff_escaped(
    client: Any, db: Any, people: Any, make_article: Any
) -> None:
    article = make_article("Mail", "old <b>text</b>")
    services.update_article(
        article, people.author, services.ArticleFields("Mail", "new <script>x</script>")
    )
    services.submit_for_review(article, people.author)
    services.publish(article, people.manager)
    db.session.commit()
    sign_in_as(client, "author")
    page = client.get(f"/kb/{article.number}/versions").get_data(as_text=True)
    assert "&lt;script&gt;x&lt;/script&gt;" in page
    assert "<script>x" not in page
    assert "Mona Manager" in page  # who approved each version
    sign_in_as(client, "emp")
    assert client.get(f"/kb/{article.number}/versions").status_code == 403


def test_retired_articles_disappear_for_readers(db: Any, people: Any, make_article: Any) -> None:
    article = make_article()
    services.retire(article, people.author)
    db.session.commit()
    assert not services.may_read(people.employee, article)
    assert not services.may_read(people.author, article)


def test_a_stale_edit_is_refused_with_409(
    client: Any, db: Any, people: Any, make_article: Any
) -> None:
    article = make_article(published=False)
    sign_in_as(client, "author")
    old = article.version
    fields = {"title": "First", "body": "b", "language": "en", "audience": "everyone"}
    assert client.post(f"/kb/{article.number}/edit", {**fields, "version": old}).status_code == 302
    response = client.post(
        f"/kb/{article.number}/edit", {**fields, "title": "Second", "version": old}
    )
    assert response.status_code == 409
    db.session.expire_all()
    assert db.session.get(Article, article.id).title == "First"


def test_only_the_owner_or_a_manager_edits(
    client: Any, db: Any, people: Any, make_user: Any, make_article: Any
) -> None:
    article = make_article(published=False)
    make_user("other", roles=["agent"])
    sign_in_as(client, "other")
    assert client.get(f"/kb/{article.number}/edit").status_code == 403
    sign_in_as(client, "manager")
    assert client.get(f"/kb/{article.number}/edit").status_code == 200


def test_owners_see_articles_past_review_and_flags(
    client: Any, db: Any, people: Any, make_article: Any
) -> None:
    from datetime import date

    article = make_article("Old advice", review_on=date(2020, 1, 1))
    services.flag(article, people.manager, "Step 3 is wrong since the upgrade")
    db.session.commit()
    sign_in_as(client, "author")
    page = client.get("/kb/mine").get_data(as_text=True)
    assert "Past their review date" in page
    assert "Old advice" in page
    assert "Step 3 is wrong since the upgrade" in page


def test_the_reviewers_group_is_a_setting(app: Any, db: Any, people: Any, monkeypatch: Any) -> None:
    from app.kb.permissions import is_manager

    assert is_manager(people.manager)
    monkeypatch.setitem(app.config, "KB_MANAGER_GROUP", "Finance")
    assert not is_manager(people.manager)
    assert not is_manager(people.finance_employee)  # an employee never reviews
