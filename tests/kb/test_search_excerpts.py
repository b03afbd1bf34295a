"""An article found by the search shows its words, not its Markdown: the excerpt under a hit
has no ``**`` and no link targets, and the words inside the markup are still found."""

from __future__ import annotations

from typing import Any


def test_an_articles_excerpt_shows_no_markdown(app: Any, make_article: Any, people: Any) -> None:
    from app.search.query import search

    article = make_article(
        "Reset a forgotten password",
        "1. Open the **self-service password page** from the"
        " [intranet](https://intranet.example/pw).\n2. Answer `your questions`.",
    )
    with app.test_request_context():
        found = search(people.employee, "self-service intranet", source="kb_article")
    assert [hit.document.ref for hit in found.hits] == [article.number]
    excerpt = str(found.hits[0].excerpt)
    assert "**" not in excerpt
    assert "https://intranet.example" not in excerpt
    assert "`" not in excerpt
    assert "password page from the" in excerpt  # the words inside the markup stay
