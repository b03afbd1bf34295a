"""``/api/v1/kb/articles``: knowledge articles: read what the caller may read; write drafts
and send them for review (IT staff, the article's owner or a knowledge manager).

The KB services decide, as on the KB pages: readers see published versions of the articles
for their audience; IT staff also see working copies; an article someone may not read is a
404 (no leak of IT-only ones). Reading through the API does not count a view.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import marshmallow as ma
from flask import Response, url_for
from flask_login import current_user

from app.api import etags, scopes
from app.api.auth import operation
from app.api.pagination import PageArgs, page_of
from app.api.resources.common import INT_ID, person, respond
from app.api.schemas import Input, PersonRef, UTCDateTime, page_schema
from app.api.spec import Blueprint
from app.extensions import db
from app.kb import rendering, services
from app.kb.models import Article, ArticleState, Audience
from app.policy import authorize
from app.search import query as search_query

AREA = scopes.add_area("kb", "Knowledge articles: read; write drafts (IT staff)")
READ, WRITE = f"{AREA}:read", f"{AREA}:write"

blp = Blueprint("kb_api", __name__, description="Knowledge articles.")


class PublishedArticleSchema(ma.Schema):
    version = ma.fields.Integer(required=True)
    title = ma.fields.String(required=True)
    body = ma.fields.String(required=True, metadata={"description": "Markdown"})
    html = ma.fields.String(required=True, metadata={"description": "The body as safe HTML"})
    published_at = UTCDateTime(required=True)


class ArticleWorkingCopySchema(ma.Schema):
    title = ma.fields.String(required=True)
    body = ma.fields.String(required=True)
    keywords = ma.fields.String(required=True)
    language = ma.fields.String(required=True)
    audience = ma.fields.String(required=True, validate=ma.validate.OneOf(list(Audience)))
    audience_group = ma.fields.Integer(allow_none=True)
    category = ma.fields.Integer(allow_none=True)
    review_on = ma.fields.Date(allow_none=True)
    cis = ma.fields.List(ma.fields.Integer(), required=True)
    catalog_items = ma.fields.List(ma.fields.Integer(), required=True)


class ArticleSchema(ma.Schema):
    number = ma.fields.String(required=True)
    state = ma.fields.String(required=True, validate=ma.validate.OneOf(list(ArticleState)))
    owner = ma.fields.Nested(PersonRef, allow_none=True)
    published = ma.fields.Nested(
        PublishedArticleSchema, allow_none=True, metadata={"description": "What readers see"}
    )
    working_copy = ma.fields.Nested(
        ArticleWorkingCopySchema, allow_none=True, metadata={"description": "IT staff only"}
    )
    version = ma.fields.Integer(required=True)


ArticlePage = page_schema(ArticleSchema, "ArticlePage")


class ArticleFilters(PageArgs, Input):
    q = ma.fields.String(validate=ma.validate.Length(min=1, max=200))
    category = ma.fields.Integer(validate=INT_ID)


class ArticleInput(Input):
    title = ma.fields.String(validate=ma.validate.Length(min=1, max=200))
    body = ma.fields.String(validate=ma.validate.Length(min=1, max=100_000))
    keywords = ma.fields.String(validate=ma.validate.Length(max=300))
    language = ma.fields.String(validate=ma.validate.OneOf(list(services.LANGUAGES)))
    audience = ma.fields.String(validate=ma.validate.OneOf(list(Audience)))
    audience_group = ma.fields.Integer(allow_none=True, validate=INT_ID)
    category = ma.fields.Integer(allow_none=True, validate=INT_ID)
    review_on = ma.fields.Date(allow_none=True)
    cis = ma.fields.List(ma.fields.Integer(validate=INT_ID), validate=ma.validate.Length(max=50))
    catalog_items = ma.fields.List(
        ma.fields.Integer(validate=INT_ID), validate=ma.validate.Length(max=50)
    )


class NewArticle(ArticleInput):
    title = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=200))
    body = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=100_000))


def _published(article: Article) -> dict[str, Any] | None:
    current = article.current
    if current is None or not services.may_read(current_user, article):
        return None
    return {
        "version": current.number,
        "title": current.title,
        "body": current.body,
        "html": rendering.render(current.body),
        "published_at": current.published_at,
    }


def _working_copy(article: Article) -> dict[str, Any]:
    return {
        "title": article.title,
        "body": article.body,
        "keywords": article.keywords,
        "language": article.language,
        "audience": Audience(article.audience).value,
        "audience_group": article.audience_group_id,
        "category": article.category_id,
        "review_on": article.review_on,
        "cis": [c.id for c in services.linked_cis(article)],
        "catalog_items": [i.id for i in services.linked_items(article)],
    }


def dump(article: Article) -> dict[str, Any]:
    staff = services.may_see_working_copy(current_user, article)
    return {
        "number": article.number,
        "state": ArticleState(article.state).value,
        "owner": person(article.owner),
        "published": _published(article),
        "working_copy": _working_copy(article) if staff else None,
        "version": article.version,
    }


def _fields(body: dict[str, Any], base: dict[str, Any]) -> services.ArticleFields:
    """The service's fields: ``body`` over ``base`` (the working copy, for a change)."""
    values = {**base, **body}
    review_on: date | None = values.get("review_on")
    return services.ArticleFields(
        title=values.get("title", ""),
        body=values.get("body", ""),
        keywords=values.get("keywords", ""),
        language=values.get("language", "en"),
        category_id=values.get("category"),
        audience=values.get("audience", Audience.EVERYONE.value),
        audience_group_id=values.get("audience_group"),
        review_on=review_on,
        ci_ids=values.get("cis", []),
        item_ids=values.get("catalog_items", []),
    )


def _respond(article: Article, status: int = 200) -> Response:
    response = respond(ArticleSchema(), dump(article), article, "article", status)
    if status == 201:
        response.headers["Location"] = url_for("kb_api.read_article", number=article.number)
    return response


def _editable(number: str) -> Article:
    article = services.visible_article(current_user, number)
    authorize(current_user, "kb.edit", article)
    return article


@blp.route("/kb/articles", methods=["GET"])
@operation("kb.read", READ)
@blp.arguments(ArticleFilters, location="query", as_kwargs=True)
@blp.response(200, ArticlePage)
def list_articles(
    cursor: str | None, limit: int, q: str | None = None, category: int | None = None
) -> Any:
    """The published articles the caller may read, newest number first; ``q`` is a number or
    words of their published text."""
    query = services.readable_articles(current_user)
    if category is not None:
        query = query.where(Article.category_id == category)
    if q:
        # A number, or words of the published text (too short to search: the number only).
        number = Article.number == q.strip().upper()[:20]
        matching = search_query.matching_ids(q, "kb_article")
        query = query.where(number if matching is None else number | Article.id.in_(matching))
    page = page_of(query.order_by(Article.id.desc()), cursor, limit)
    return {"items": [dump(a) for a in page.items], "next_cursor": page.next_cursor}


@blp.route("/kb/articles", methods=["POST"])
@operation("kb.write", WRITE)
@blp.arguments(NewArticle)
@blp.response(201, ArticleSchema, headers={"ETag": {"schema": {"type": "string"}}})
def create_article(body: dict[str, Any]) -> Any:
    """Write a new draft, owned by the caller."""
    article = services.create_article(current_user, _fields(body, {}))
    db.session.commit()
    return _respond(article, 201)


@blp.route("/kb/articles/<number>", methods=["GET"])
@operation("kb.read", READ)
@blp.response(200, ArticleSchema, headers={"ETag": {"schema": {"type": "string"}}})
def read_article(number: str) -> Any:
    """Read an article: its published version, and (IT staff) its working copy."""
    return _respond(services.visible_article(current_user, number))


@blp.route("/kb/articles/<number>", methods=["PATCH"])
@operation("kb.write", WRITE)
@blp.arguments(ArticleInput)
@blp.response(200, ArticleSchema, headers={"ETag": {"schema": {"type": "string"}}})
def update_article(body: dict[str, Any], number: str) -> Any:
    """Change the working copy (a published article goes back to draft; its published
    version stays readable). Needs ``If-Match``."""
    article = _editable(number)
    etags.check_if_match(article, "article")
    services.update_article(article, current_user, _fields(body, _working_copy(article)))
    db.session.commit()
    return _respond(article)


@blp.route("/kb/articles/<number>/submit", methods=["POST"])
@operation("kb.write", WRITE)
@blp.response(200, ArticleSchema, headers={"ETag": {"schema": {"type": "string"}}})
def submit_article(number: str) -> Any:
    """Send a draft for review by a knowledge manager. Needs ``If-Match``."""
    article = _editable(number)
    return _review_step(article, services.submit_for_review)


def _review_step(article: Any, step: Callable[[Any, Any], Any]) -> Any:
    """One step of an article's review as the API takes it: the caller's ``If-Match`` must
    name the article's version; then the service step, one commit, the article and its new
    ETag."""
    etags.check_if_match(article, "article")
    step(article, current_user)
    db.session.commit()
    return _respond(article)


@blp.route("/kb/articles/<number>/send-back", methods=["POST"])
@operation("kb.review", WRITE)
@blp.response(200, ArticleSchema, headers={"ETag": {"schema": {"type": "string"}}})
def send_back_article(number: str) -> Any:
    """Send an article in review back to draft for its author (knowledge managers). Needs
    ``If-Match``."""
    article = services.visible_article(current_user, number)
    return _review_step(article, services.send_back)


@blp.route("/kb/articles/<number>/publish", methods=["POST"])
@operation("kb.review", WRITE)
@blp.response(200, ArticleSchema, headers={"ETag": {"schema": {"type": "string"}}})
def publish_article(number: str) -> Any:
    """Approve an article in review and publish its working copy as the next version
    (knowledge managers); readers see it at once. Needs ``If-Match``."""
    article = services.visible_article(current_user, number)
    return _review_step(article, services.publish)


@blp.route("/kb/articles/<number>/retire", methods=["POST"])
@operation("kb.write", WRITE)
@blp.response(200, ArticleSchema, headers={"ETag": {"schema": {"type": "string"}}})
def retire_article(number: str) -> Any:
    """Retire a published article or a draft (its owner or a knowledge manager): readers no
    longer find it. Needs ``If-Match``."""
    article = services.visible_article(current_user, number)
    authorize(current_user, "kb.retire", article)
    return _review_step(article, services.retire)
