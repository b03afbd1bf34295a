"""Knowledge articles in the search index: the published version's title, text and keywords,
each only for its audience (``services.visible_articles``); drafts and retired articles are
not indexed at all. The audience is written into the document (``everyone``, ``it_staff``,
``group:<id>``), so that a search tests a column instead of reading every article again."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from flask import has_request_context, url_for
from sqlalchemy import ColumnElement, String, cast, literal, or_, select
from sqlalchemy.orm import selectinload

from app.auth.models import group_members
from app.extensions import db
from app.i18n import N_
from app.kb import rendering, services
from app.kb.models import Article, ArticleVersion, Audience
from app.kb.permissions import is_staff
from app.search.models import SearchDocument
from app.search.sources import Document, Source

# The index's text-search configurations by an article's language (others: guessed).
INDEX_LANGUAGES = {"en": "english", "sv": "swedish"}


def _documents(ids: Sequence[int]) -> Iterator[Document]:
    rows = db.session.scalars(
        select(Article).where(Article.id.in_(ids)).options(selectinload(Article.versions))
    )
    for article in rows:
        facts = services.search_facts(article)
        if not facts.live:
            continue  # left out: unindexed
        yield Document(
            source_id=article.id,
            kind="kb_article",
            ref=article.number,
            title=facts.title,
            body="\n".join(p for p in (rendering.plain_text(facts.body), facts.keywords) if p),
            language=INDEX_LANGUAGES.get(facts.language),
            audience=_audience(facts),
        )


GROUP = "group:"  # then the group's id: an article for one group's members


def _audience(facts: services.SearchFacts) -> str:
    if facts.group_id is not None:
        return f"{GROUP}{facts.group_id}"
    return Audience.IT_STAFF.value if facts.staff_only else Audience.EVERYONE.value


def _visible(user: Any) -> ColumnElement[bool] | None:
    """What ``services.visible_articles`` allows, read from the documents: only live articles
    are indexed, so IT staff may find every one; others those for everyone and for their
    groups (a group joined or left counts at once: the membership is read here)."""
    if is_staff(user):
        return None
    audience = SearchDocument.audience
    theirs = select(literal(GROUP) + cast(group_members.c.group_id, String)).where(
        group_members.c.user_id == user.id
    )
    return or_(audience == Audience.EVERYONE.value, audience.in_(theirs))


def _url(document: Any) -> str | None:
    """The article's page (outside a request, e.g. suggestions asked by a benchmark: none)."""
    if not has_request_context():
        return None
    return url_for("kb.article", number=document.ref)


SOURCE = Source(
    name="kb_article",
    label=N_("Knowledge"),
    watch={Article: lambda article: article.id, ArticleVersion: lambda v: v.article_id},
    documents=_documents,
    all_ids=lambda: select(Article.id).order_by(Article.id),
    visible=_visible,
    sees_notes=lambda _user: True,
    url=lambda document, _user: _url(document),
)
