"""Knowledge articles in the search only for their audience, read from the document's
``audience`` (no subquery over the articles): IT-only articles never for employees, a
group's articles for its members only, and an audience changed or a group joined counts
at once."""

from __future__ import annotations

from typing import Any

from app.kb import services
from app.kb.models import Article
from tests.kb.conftest import make_article, people  # noqa: F401  (shared builders)


def _articles(find: Any, user: Any, words: str) -> list[str]:
    return sorted(find(user, words, source="kb_article"))


def _edit(db: Any, people: Any, article: Article, **fields: Any) -> None:  # noqa: F811
    current = services.search_facts(article)
    values = {"title": current.title, "body": current.body, **fields}
    services.update_article(article, people.author, services.ArticleFields(**values))
    db.session.commit()


def test_each_person_finds_the_articles_of_their_audience_only(
    db: Any,
    people: Any,  # noqa: F811
    make_article: Any,  # noqa: F811
    find: Any,
) -> None:
    make_article("Gazebo printer for everyone")
    make_article("Gazebo printer server reset", audience="it_staff")
    make_article(
        "Gazebo printer expense codes", audience="group", audience_group_id=people.finance.id
    )
    make_article("Gazebo printer draft", published=False)
    everyone = ["Gazebo printer for everyone"]
    finance = ["Gazebo printer expense codes", *everyone]
    staff = ["Gazebo printer expense codes", *everyone, "Gazebo printer server reset"]
    assert _articles(find, people.employee, "gazebo") == everyone
    assert _articles(find, people.finance_employee, "gazebo") == finance
    assert _articles(find, people.author, "gazebo") == staff
    # What the search finds is what the knowledge base lets each of them read.
    for person in (people.employee, people.finance_employee, people.author):
        readable = db.session.scalars(services.readable_articles(person)).all()
        assert _articles(find, person, "gazebo") == sorted(a.title for a in readable)


def test_an_audience_changed_counts_at_once(
    db: Any,
    people: Any,  # noqa: F811
    make_article: Any,  # noqa: F811
    find: Any,
) -> None:
    article = make_article("Quokka badge reader", "Hold the badge still.")
    assert _articles(find, people.employee, "quokka") == ["Quokka badge reader"]
    _edit(db, people, article, audience="it_staff")
    assert _articles(find, people.employee, "quokka") == []
    assert _articles(find, people.author, "quokka") == ["Quokka badge reader"]
    _edit(db, people, article, audience="group", audience_group_id=people.finance.id)
    assert _articles(find, people.employee, "quokka") == []
    assert _articles(find, people.finance_employee, "quokka") == ["Quokka badge reader"]


def test_joining_or_leaving_a_group_counts_at_once(
    db: Any,
    people: Any,  # noqa: F811
    make_article: Any,  # noqa: F811
    find: Any,
) -> None:
    make_article("Walrus budget template", audience="group", audience_group_id=people.finance.id)
    assert _articles(find, people.employee, "walrus") == []
    people.finance.members.append(people.employee)
    db.session.commit()
    assert _articles(find, people.employee, "walrus") == ["Walrus budget template"]
    people.finance.members.remove(people.finance_employee)
    db.session.commit()
    assert _articles(find, people.finance_employee, "walrus") == []


def test_a_search_reads_no_article_to_know_who_may_find_it(
    app: Any,
    db: Any,
    people: Any,  # noqa: F811
    make_article: Any,  # noqa: F811
) -> None:
    """The audience is a column of the document: no statement of a search (the counts, the
    ranking, the page) reads ``kb_articles``, which cost a read of every article per
    statement at 50,000 (docs/benchmarks.md, search16c)."""
    from sqlalchemy import event

    from app.search.query import search, suggest

    make_article("Narwhal monitor flicker")
    make_article("Narwhal monitor cables", audience="it_staff")
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        with app.test_request_context():
            for person, found in ((people.employee, 1), (people.author, 2)):
                assert len(search(person, "narwhal").hits) == found
                assert len(suggest(person, "narwh")) == found
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert statements
    assert not [s for s in statements if "kb_articles" in s]
