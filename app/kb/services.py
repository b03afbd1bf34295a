"""Knowledge article rules, callable without a request: they flush, never commit.

Every lookup a reader makes goes through :func:`visible_articles`, so an IT-only article or
one for a group the reader is not in never appears to them, on any page, list, suggestion or
link. Suggestions while typing are :func:`suggest_articles`, the one place the search will
replace.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar, cast

from flask_babel import gettext as _
from sqlalchemy import CursorResult, Select, and_, case, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app.auth.models import Group, group_members
from app.cmdb.graph.vocabulary import Lifecycle
from app.cmdb.models import ConfigurationItem
from app.errors import Invalid, NotFound
from app.extensions import db
from app.files import put
from app.forms import clean_text
from app.kb import rendering
from app.kb.models import (
    BODY_MAX,
    IMAGE_TYPES,
    KEYWORDS_MAX,
    TITLE_MAX,
    Article,
    ArticleFile,
    ArticleFlag,
    ArticleIncident,
    ArticleState,
    ArticleVersion,
    ArticleVote,
    AttemptArticle,
    AttemptOutcome,
    Audience,
    DeflectionAttempt,
    KbCategory,
    article_catalog_items,
    article_cis,
)
from app.kb.permissions import is_manager, is_staff
from app.requests.models import CatalogItem
from app.search.query import suggestions
from app.tickets.services import next_number
from app.timeutils import utc_now

LANGUAGES = {"en": "English", "sv": "Svenska", "de": "Deutsch", "fr": "Français", "es": "Español"}
FILE_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".pdf": "application/pdf",
    ".txt": "text/plain",
    ".csv": "text/csv",
    ".zip": "application/zip",
}
FILE_MAX = 10 * 1024 * 1024
NOTE_MAX = 4000


# -- who sees what ------------------------------------------------------------------------


Query = TypeVar("Query", bound="Select[*tuple[Any, ...]]")


def visible_articles(user: Any, stmt: Query) -> Query:
    """``stmt`` (articles) narrowed to the live articles ``user`` may read: IT staff read every
    audience; others read those for everyone and those for a group they are in."""
    stmt = stmt.where(Article.published_version.is_not(None), Article.state != ArticleState.RETIRED)
    if is_staff(user):
        return stmt
    theirs = select(group_members.c.group_id).where(group_members.c.user_id == user.id)
    return stmt.where(
        or_(
            Article.audience == Audience.EVERYONE,
            and_(Article.audience == Audience.GROUP, Article.audience_group_id.in_(theirs)),
        )
    )


def readable_articles(user: Any) -> Select[Article]:
    """The articles ``user`` may read (see :func:`visible_articles`)."""
    return visible_articles(user, select(Article))


@dataclass(frozen=True)
class SearchFacts:
    """What a search index needs of an article (the search helper's source reads this): the
    published text, its language, and who may find it. ``live`` False: remove it from the
    index (never published, or retired)."""

    title: str
    body: str
    keywords: str
    language: str
    live: bool
    staff_only: bool
    group_id: int | None


def search_facts(article: Article) -> SearchFacts:
    current = article.current
    return SearchFacts(
        title=current.title if current else article.title,
        body=current.body if current else "",
        keywords=article.keywords,
        language=article.language,
        live=article.is_live,
        staff_only=article.audience == Audience.IT_STAFF,
        group_id=article.audience_group_id if article.audience == Audience.GROUP else None,
    )


def may_read(user: Any, article: Article) -> bool:
    """Whether ``user`` may read ``article``'s published version."""
    found = db.session.scalar(
        visible_articles(user, select(Article.id)).where(Article.id == article.id)
    )
    return found is not None


def may_see_working_copy(user: Any, article: Article) -> bool:
    """Drafts and reviews: IT staff (they write and review)."""
    return is_staff(user)


NUMBER = re.compile(r"[A-Za-z]{2}[0-9]{7,10}")


def find(number: str) -> Article | None:
    """The article numbered ``number`` (``KB0001001``); ``None`` for anything else, a NUL
    byte or 5,000 characters included (never sent to the database)."""
    if not NUMBER.fullmatch(number or ""):
        return None
    return db.session.scalar(select(Article).where(Article.number == number.upper()))


def language_versions(user: Any, article: Article) -> list[Article]:
    """The article's other language versions ``user`` may read: its original and the
    original's other translations (an original: its translations), by language."""
    original = article.translation_of or article
    family = [original, *original.translations]
    return sorted(
        (a for a in family if a.id != article.id and may_read(user, a)),
        key=lambda a: a.language,
    )


def in_language(user: Any, article: Article, language: str) -> Article | None:
    """The version of ``article`` in ``language`` that ``user`` may read (itself when it is
    in that language), or None."""
    if article.language == language:
        return article
    return next((a for a in language_versions(user, article) if a.language == language), None)


def visible_article(user: Any, number: str) -> Article:
    """An article ``user`` may see: its published version, or (IT staff) its working copy.

    :raise NotFound: no such article, or not one for this person (no leak of IT-only ones).
    """
    article = find(number)
    if article is None or not (may_read(user, article) or may_see_working_copy(user, article)):
        raise NotFound(_("There is no article with this number that you can read."))
    return article


# -- writing ----------------------------------------------------------------------------------


@dataclass
class ArticleFields:
    title: str
    body: str
    keywords: str = ""
    language: str = "en"
    category_id: int | None = None
    audience: str = Audience.EVERYONE.value
    audience_group_id: int | None = None
    review_on: date | None = None
    ci_ids: Sequence[int] = field(default_factory=list)
    item_ids: Sequence[int] = field(default_factory=list)
    # The number of the article this one translates ("": an original).
    translation_of: str = ""


def _original(
    number: str, language: str, article: Article | None, errors: dict[str, str]
) -> Article | None:
    """The article ``number`` names as the one translated, checked: it exists, is an original,
    is in another language and has no other translation into ``language``."""
    number = (number or "").strip().upper()
    if not number:
        return None
    original = find(number)
    if original is None:
        errors["translation_of"] = _("There is no article %(number)s.", number=number)
    elif original.translation_of_id is not None:
        errors["translation_of"] = _(
            "%(number)s is itself a translation: name the original, %(original)s.",
            number=number,
            original=original.translation_of.number if original.translation_of else number,
        )
    elif article is not None and (original.id == article.id or article.translations):
        errors["translation_of"] = _("An original article cannot translate another article.")
    elif original.language == language:
        errors["translation_of"] = _("%(number)s is already in this language.", number=number)
    elif any(
        t.language == language and (article is None or t.id != article.id)
        for t in original.translations
    ):
        errors["translation_of"] = _(
            "%(number)s already has a translation into this language.", number=number
        )
    else:
        return original
    return None


def _checked(fields: ArticleFields, article: Article | None = None) -> dict[str, Any]:
    """The fields, cleaned and checked; :raise Invalid: with every problem at once."""
    errors: dict[str, str] = {}
    title = " ".join(clean_text(fields.title or "").split())
    body = clean_text(fields.body or "").strip()
    keywords = " ".join(clean_text(fields.keywords or "").split())
    if not title:
        errors["title"] = _("Give the article a title.")
    elif len(title) > TITLE_MAX:
        errors["title"] = _(
            "The title is %(length)s characters; at most %(max)s.", length=len(title), max=TITLE_MAX
        )
    if not body:
        errors["body"] = _("Write the article's text.")
    elif len(body) > BODY_MAX:
        errors["body"] = _(
            "The text is %(length)s characters; at most %(max)s.", length=len(body), max=BODY_MAX
        )
    if len(keywords) > KEYWORDS_MAX:
        errors["keywords"] = _("Keywords are at most %(max)s characters.", max=KEYWORDS_MAX)
    if fields.language not in LANGUAGES:
        errors["language"] = _("Choose a language from the list.")
    original = _original(fields.translation_of, fields.language, article, errors)
    try:
        audience = Audience(fields.audience)
    except ValueError:
        audience = Audience.EVERYONE
        errors["audience"] = _("Choose who may read the article.")
    group_id = fields.audience_group_id if audience == Audience.GROUP else None
    if audience == Audience.GROUP and (group_id is None or db.session.get(Group, group_id) is None):
        errors["audience_group"] = _("Choose the group that may read the article.")
    if fields.category_id is not None and db.session.get(KbCategory, fields.category_id) is None:
        errors["category"] = _("That category does not exist.")
    cis = list(
        db.session.scalars(
            select(ConfigurationItem).where(ConfigurationItem.id.in_(set(fields.ci_ids)))
        )
    )
    if len(cis) != len(set(fields.ci_ids)):
        errors["cis"] = _("One of the configuration items does not exist.")
    elif retired := [ci.name for ci in cis if ci.status == Lifecycle.RETIRED]:
        errors["cis"] = _(
            "%(names)s is retired; link a CI in use.", names=", ".join(sorted(retired))
        )
    items = list(
        db.session.scalars(select(CatalogItem).where(CatalogItem.id.in_(set(fields.item_ids))))
    )
    if len(items) != len(set(fields.item_ids)):
        errors["items"] = _("One of the catalog items does not exist.")
    if errors:
        raise Invalid(errors)
    return {
        "title": title,
        "body": body,
        "keywords": keywords,
        "language": fields.language,
        "category_id": fields.category_id,
        "audience": audience,
        "audience_group_id": group_id,
        "review_on": fields.review_on,
        "translation_of_id": original.id if original is not None else None,
        "cis": cis,
        "items": items,
    }


def _set_links(article: Article, cis: list[Any], items: list[Any]) -> None:
    db.session.execute(article_cis.delete().where(article_cis.c.article_id == article.id))
    db.session.execute(
        article_catalog_items.delete().where(article_catalog_items.c.article_id == article.id)
    )
    if cis:
        db.session.execute(
            insert(article_cis), [{"article_id": article.id, "ci_id": ci.id} for ci in cis]
        )
    if items:
        db.session.execute(
            insert(article_catalog_items),
            [{"article_id": article.id, "item_id": item.id} for item in items],
        )


def linked_cis(article: Article) -> list[ConfigurationItem]:
    linked = select(article_cis.c.ci_id).where(article_cis.c.article_id == article.id)
    return list(
        db.session.scalars(
            select(ConfigurationItem)
            .where(ConfigurationItem.id.in_(linked))
            .order_by(ConfigurationItem.name)
        )
    )


def linked_items(article: Article) -> list[CatalogItem]:
    linked = select(article_catalog_items.c.item_id).where(
        article_catalog_items.c.article_id == article.id
    )
    return list(
        db.session.scalars(
            select(CatalogItem).where(CatalogItem.id.in_(linked)).order_by(CatalogItem.name)
        )
    )


def create_article(author: Any, fields: ArticleFields, *, incident: Any = None) -> Article:
    """A new draft owned by ``author`` (linked to ``incident`` when written from one).

    :raise Invalid: a field is missing, too long or names something that does not exist.
    """
    values = _checked(fields)
    cis, items = values.pop("cis"), values.pop("items")
    article = Article(number=next_number("KB"), owner_id=author.id, **values)
    db.session.add(article)
    db.session.flush()
    _set_links(article, cis, items)
    if incident is not None:
        link_incident(article, incident, actor=author)
    db.session.flush()
    return article


def update_article(article: Article, actor: Any, fields: ArticleFields) -> None:
    """Change the working copy. A published article goes back to draft (its published
    version stays readable until the next one is published).

    :raise Invalid: the article is in review or retired, or a field is wrong.
    """
    if article.state in (ArticleState.REVIEW, ArticleState.RETIRED):
        raise Invalid(
            {
                "title": _(
                    "An article in the state %(state)s cannot be edited.",
                    state=_(article.state.label).lower(),
                )
            },
            _("This article cannot be edited now."),
        )
    values = _checked(fields, article)
    cis, items = values.pop("cis"), values.pop("items")
    for name, value in values.items():
        setattr(article, name, value)
    article.state = ArticleState.DRAFT
    db.session.flush()
    _set_links(article, cis, items)


def _require_state(article: Article, *states: ArticleState) -> None:
    if article.state not in states:
        state = _(article.state.label).lower()
        allowed = _(" or ").join(_(s.label).lower() for s in states)
        raise Invalid(
            {
                "state": _(
                    "The article is %(state)s; it must be %(allowed)s.",
                    state=state,
                    allowed=allowed,
                )
            },
            _("This article is %(state)s.", state=state),
        )


def submit_for_review(article: Article, actor: Any) -> None:
    _require_state(article, ArticleState.DRAFT)
    article.state = ArticleState.REVIEW
    db.session.flush()


def send_back(article: Article, actor: Any) -> None:
    _require_state(article, ArticleState.REVIEW)
    article.state = ArticleState.DRAFT
    db.session.flush()


def publish(article: Article, approver: Any) -> ArticleVersion:
    """Publish the working copy as the next version, approved by ``approver``."""
    _require_state(article, ArticleState.REVIEW)
    number = max((v.number for v in article.versions), default=0) + 1
    version = ArticleVersion(
        number=number,
        title=article.title,
        body=article.body,
        published_at=utc_now(),
        approved_by_id=approver.id,
        author_id=article.owner_id,
    )
    article.versions.append(version)
    article.published_version = number
    article.state = ArticleState.PUBLISHED
    db.session.flush()
    return version


def retire(article: Article, actor: Any) -> None:
    _require_state(article, ArticleState.PUBLISHED, ArticleState.DRAFT)
    article.state = ArticleState.RETIRED
    db.session.flush()


def version_diff(article: Article, old: int, new: int) -> list[rendering.DiffLine] | None:
    """The diff between two published versions, or ``None`` when one does not exist."""
    by_number = {v.number: v for v in article.versions}
    if old not in by_number or new not in by_number:
        return None
    a, b = by_number[old], by_number[new]
    return rendering.diff(a.title, a.body, b.title, b.body)


def add_file(article: Article, actor: Any, filename: str, data: bytes) -> ArticleFile:
    """Keep a file of the article in the attachment store.

    :raise Invalid: an empty, oversized or unsupported file.
    """
    name = clean_text(filename or "").replace("/", "_").replace("\\", "_").strip()[:255]
    suffix = ("." + name.rsplit(".", 1)[-1].lower()) if "." in name else ""
    content_type = FILE_TYPES.get(suffix)
    if not name or content_type is None:
        raise Invalid({"file": _("Attach an image (PNG, JPEG, GIF, WebP), a PDF, text or ZIP.")})
    if not data:
        raise Invalid({"file": _("The file is empty.")})
    if len(data) > FILE_MAX:
        raise Invalid(
            {"file": _("The file is larger than %(size)s MB.", size=FILE_MAX // (1024 * 1024))}
        )
    stored = put(data)
    row = ArticleFile(
        article_id=article.id,
        key=stored.key,
        filename=name,
        content_type=content_type,
        size=len(data),
        uploaded_by_id=actor.id,
    )
    db.session.add(row)
    db.session.flush()
    return row


def files_of(article: Article) -> list[ArticleFile]:
    return list(
        db.session.scalars(
            select(ArticleFile).where(ArticleFile.article_id == article.id).order_by(ArticleFile.id)
        )
    )


def is_image(row: ArticleFile) -> bool:
    return row.content_type in IMAGE_TYPES


# -- reading ----------------------------------------------------------------------------------


def count_view(article: Article) -> None:
    """One more view (a plain UPDATE: a read never makes an editor's form stale)."""
    db.session.execute(
        update(Article)
        .where(Article.id == article.id)
        .values(view_count=Article.view_count + 1)
        .execution_options(synchronize_session=False)
    )


def vote(article: Article, user: Any, *, helpful: bool, comment: str = "") -> ArticleVote:
    """ "Was this helpful?" for the published version: one answer per person per version (a
    new answer replaces theirs)."""
    if article.published_version is None:
        raise Invalid({"helpful": _("Only a published article can be rated.")})
    comment = clean_text(comment or "").strip()
    if len(comment) > NOTE_MAX:
        raise Invalid({"comment": _("The comment is at most %(max)s characters.", max=NOTE_MAX)})
    found = db.session.scalar(
        select(ArticleVote).where(
            ArticleVote.article_id == article.id,
            ArticleVote.version_number == article.published_version,
            ArticleVote.user_id == user.id,
        )
    )
    if found is None:
        found = ArticleVote(
            article_id=article.id, version_number=article.published_version, user_id=user.id
        )
        db.session.add(found)
    found.helpful, found.comment, found.created_at = helpful, comment, utc_now()
    db.session.flush()
    return found


def vote_counts(article: Article) -> tuple[int, int]:
    """(helpful, not helpful) for the published version."""
    rows = db.session.execute(
        select(ArticleVote.helpful, func.count())
        .where(
            ArticleVote.article_id == article.id,
            ArticleVote.version_number == article.published_version,
        )
        .group_by(ArticleVote.helpful)
    ).all()
    counts = {helpful: n for helpful, n in rows}
    return counts.get(True, 0), counts.get(False, 0)


def reader_comments(article: Article, limit: int = 20) -> list[ArticleVote]:
    """The newest "Was this helpful?" answers that carry a comment, every version's (the
    version number says which text they read), for the article's owner and managers."""
    return list(
        db.session.scalars(
            select(ArticleVote)
            .where(ArticleVote.article_id == article.id, ArticleVote.comment != "")
            .options(selectinload(ArticleVote.user))
            .order_by(ArticleVote.created_at.desc(), ArticleVote.id.desc())
            .limit(limit)
        )
    )


def popular(user: Any, limit: int = 8) -> list[Article]:
    return list(
        db.session.scalars(
            readable_articles(user).order_by(Article.view_count.desc(), Article.id).limit(limit)
        )
    )


def newest(user: Any, limit: int = 8) -> list[Article]:
    newest_version = (
        select(func.max(ArticleVersion.published_at))
        .where(ArticleVersion.article_id == Article.id)
        .scalar_subquery()
    )
    return list(
        db.session.scalars(
            readable_articles(user).order_by(newest_version.desc(), Article.id.desc()).limit(limit)
        )
    )


def by_category(user: Any) -> list[tuple[KbCategory | None, int]]:
    """Each category with the number of articles ``user`` may read in it."""
    rows = db.session.execute(
        visible_articles(user, select(Article.category_id, func.count())).group_by(
            Article.category_id
        )
    ).all()
    categories = {c.id: c for c in db.session.scalars(select(KbCategory))}
    found = [(categories.get(cid) if cid is not None else None, n) for cid, n in rows]
    return sorted(found, key=lambda pair: (pair[0] is None, pair[0].name if pair[0] else ""))


def categories() -> list[KbCategory]:
    return list(db.session.scalars(select(KbCategory).order_by(KbCategory.name)))


SUGGEST_WORDS = 6  # typed words asked for (the search keeps 8 terms)


def suggest_articles(text: str, user: Any, limit: int = 5) -> list[Article]:
    """Articles that may answer ``text`` (a problem being typed), best first, only those
    ``user`` may read: the search index (``app.search``), asked for any of the typed
    problem's meaningful words (:func:`rendering.words`; none: no suggestion).

    Any one word finds an article, but a word the text only mentions in passing does not
    make it an answer: an article is shown when its title or keywords hold a typed word, or
    its text two, and it holds at least half as many of the typed words as the best match;
    those holding more come first (then by the index's rank). A wrong suggestion costs the
    trust in all of them; none costs nothing."""
    terms = rendering.words(text, limit=SUGGEST_WORDS)
    if not terms:
        return []
    found = suggestions(user, " OR ".join(terms), limit * 2, source="kb_article")
    documents = {hit.document.source_id: hit.document for hit in found.hits}
    if not documents:  # the index found nothing: no keywords to read
        return []
    keywords = dict(
        db.session.execute(
            visible_articles(user, select(Article.id, Article.keywords)).where(
                Article.id.in_(documents)
            )
        ).all()
    )
    held: dict[int, tuple[int, int]] = {}  # in the whole document, in the title and keywords
    for article_id, document in documents.items():
        if article_id not in keywords:
            continue
        title = f"{document.title}\n{keywords[article_id]}"  # published title, keywords
        topic = rendering.words_held(terms, title, found.corrected)
        whole = rendering.words_held(terms, f"{title}\n{document.body}", found.corrected)
        if topic or whole >= 2:
            held[article_id] = (whole, topic)
    best = max((whole for whole, _topic in held.values()), default=0)
    fitting = [i for i in held if 2 * held[i][0] >= best]
    fitting.sort(key=lambda i: (-held[i][0], -held[i][1]))  # stable: the rank breaks ties
    fitting = fitting[:limit]
    if not fitting:
        return []
    articles = {
        a.id: a
        for a in db.session.scalars(
            select(Article).where(Article.id.in_(fitting)).options(selectinload(Article.versions))
        )
    }
    return [articles[i] for i in fitting]


# -- deflection -------------------------------------------------------------------------------


def start_attempt(user: Any) -> DeflectionAttempt:
    attempt = DeflectionAttempt(token=secrets.token_hex(16), user_id=user.id)
    db.session.add(attempt)
    db.session.flush()
    return attempt


def open_attempt(token: str | None, user: Any) -> DeflectionAttempt | None:
    """The person's attempt ``token`` when it is still open."""
    if not token:
        return None
    return db.session.scalar(
        select(DeflectionAttempt).where(
            DeflectionAttempt.token == token[:32],
            DeflectionAttempt.user_id == user.id,
            DeflectionAttempt.outcome == AttemptOutcome.OPEN,
        )
    )


def opened_in_attempt(attempt: DeflectionAttempt, article: Article) -> None:
    """Record that the article was opened during the attempt (once)."""
    exists = db.session.get(AttemptArticle, (attempt.id, article.id))
    if exists is None:
        try:
            with db.session.begin_nested():
                db.session.add(AttemptArticle(attempt_id=attempt.id, article_id=article.id))
        except IntegrityError:
            pass  # a second tab recorded it first


def end_attempt(
    attempt: DeflectionAttempt, outcome: AttemptOutcome, article: Article | None = None
) -> bool:
    """End an open attempt once: a second "solved" or a report after it changes nothing.
    Returns whether this call ended it (a conditional UPDATE: two clicks count once)."""
    ended = cast(
        CursorResult[Any],
        db.session.execute(
            update(DeflectionAttempt)
            .where(
                DeflectionAttempt.id == attempt.id,
                DeflectionAttempt.outcome == AttemptOutcome.OPEN,
            )
            .values(
                outcome=outcome,
                ended_at=utc_now(),
                solved_by_id=article.id if article is not None else None,
            )
            .execution_options(synchronize_session=False)
        ),
    )
    if article is not None and ended.rowcount:
        opened_in_attempt(attempt, article)
    db.session.expire(attempt)
    return bool(ended.rowcount)


@dataclass(frozen=True)
class DeflectionRow:
    label: str
    attempts: int  # attempts in which the article was opened (or that it solved)
    solved: int
    possible: int  # opened, and no report sent in the attempt
    tickets: int

    @property
    def rate(self) -> float:
        return (self.solved + self.possible) / self.attempts if self.attempts else 0.0


def deflection_report() -> dict[str, list[DeflectionRow]]:
    """Deflection per article, category and service: of the attempts in which an article was
    opened, those it solved ("This solved my problem"), those that ended without a report
    (possible deflections), and those that became a ticket."""
    outcome = DeflectionAttempt.outcome
    base = (
        select(
            AttemptArticle.article_id,
            func.count().label("attempts"),
            func.sum(case((outcome == AttemptOutcome.SOLVED, 1), else_=0)).label("solved"),
            func.sum(case((outcome == AttemptOutcome.OPEN, 1), else_=0)).label("possible"),
            func.sum(case((outcome == AttemptOutcome.TICKET, 1), else_=0)).label("tickets"),
        )
        .join(DeflectionAttempt, DeflectionAttempt.id == AttemptArticle.attempt_id)
        .group_by(AttemptArticle.article_id)
    )
    per_article = {row.article_id: row for row in db.session.execute(base)}
    articles = {
        a.id: a for a in db.session.scalars(select(Article).where(Article.id.in_(per_article)))
    }
    services: dict[int, list[str]] = {}
    for article_id, name in db.session.execute(
        select(article_cis.c.article_id, ConfigurationItem.name)
        .join(ConfigurationItem, ConfigurationItem.id == article_cis.c.ci_id)
        .where(article_cis.c.article_id.in_(per_article))
    ):
        services.setdefault(article_id, []).append(name)

    def total(groups: dict[str, list[Any]]) -> list[DeflectionRow]:
        rows = [
            DeflectionRow(
                label,
                sum(r.attempts for r in members),
                sum(r.solved for r in members),
                sum(r.possible for r in members),
                sum(r.tickets for r in members),
            )
            for label, members in groups.items()
        ]
        return sorted(rows, key=lambda r: (-r.attempts, r.label))

    by_article: dict[str, list[Any]] = {}
    by_cat: dict[str, list[Any]] = {}
    by_service: dict[str, list[Any]] = {}
    for article_id, row in per_article.items():
        article = articles[article_id]
        by_article.setdefault(f"{article.number} {article.title}", []).append(row)
        cat = article.category.name if article.category else "No category"
        by_cat.setdefault(cat, []).append(row)
        for name in services.get(article_id, ["No service"]):
            by_service.setdefault(name, []).append(row)
    return {"article": total(by_article), "category": total(by_cat), "service": total(by_service)}


# -- agents (KCS) -----------------------------------------------------------------------------


def link_incident(article: Article, incident: Any, *, actor: Any) -> bool:
    """Link the article to the incident (once); returns whether a link was added."""
    if db.session.get(ArticleIncident, (article.id, incident.id)) is not None:
        return False
    db.session.add(
        ArticleIncident(article_id=article.id, ticket_id=incident.id, linked_by_id=actor.id)
    )
    db.session.flush()
    return True


def unlink_incident(article: Article, incident: Any) -> None:
    found = db.session.get(ArticleIncident, (article.id, incident.id))
    if found is not None:
        db.session.delete(found)
        db.session.flush()


def linked_to(incident: Any) -> list[Article]:
    linked = select(ArticleIncident.article_id).where(ArticleIncident.ticket_id == incident.id)
    return list(
        db.session.scalars(select(Article).where(Article.id.in_(linked)).order_by(Article.number))
    )


def resolved_similar(
    incident: Any, user: Any, similar_ids: Sequence[int], limit: int = 5
) -> list[tuple[Article, int]]:
    """Articles linked to the given similar (resolved) incidents, most used first."""
    if not similar_ids:
        return []
    used = func.count(ArticleIncident.ticket_id)
    rows = db.session.execute(
        visible_articles(user, select(Article, used))
        .join(ArticleIncident, ArticleIncident.article_id == Article.id)
        .where(ArticleIncident.ticket_id.in_(similar_ids), ArticleIncident.ticket_id != incident.id)
        .group_by(Article.id)
        .order_by(used.desc(), Article.id)
        .limit(limit)
    ).all()
    return [(article, n) for article, n in rows]


def flag(article: Article, actor: Any, note: str, *, ticket: Any = None) -> ArticleFlag:
    """ "This article is wrong": a task for the owner, shown on their knowledge page."""
    note = clean_text(note or "").strip()
    if not note:
        raise Invalid({"note": _("Say what is wrong with the article.")})
    if len(note) > NOTE_MAX:
        raise Invalid({"note": _("The note is at most %(max)s characters.", max=NOTE_MAX)})
    row = ArticleFlag(
        article_id=article.id,
        ticket_id=ticket.id if ticket is not None else None,
        flagged_by_id=actor.id,
        note=note,
    )
    db.session.add(row)
    db.session.flush()
    return row


def resolve_flag(row: ArticleFlag) -> None:
    row.resolved_at = row.resolved_at or utc_now()
    db.session.flush()


def owner_tasks(owner: Any, today: date) -> tuple[list[Article], list[ArticleFlag]]:
    """The owner's articles past their review date, and the open flags on their articles."""
    due = list(
        db.session.scalars(
            select(Article)
            .where(
                Article.owner_id == owner.id,
                Article.review_on <= today,
                Article.state != ArticleState.RETIRED,
            )
            .order_by(Article.review_on)
        )
    )
    flags = list(
        db.session.scalars(
            select(ArticleFlag)
            .join(Article, Article.id == ArticleFlag.article_id)
            .where(Article.owner_id == owner.id, ArticleFlag.resolved_at.is_(None))
            .order_by(ArticleFlag.created_at)
        )
    )
    return due, flags


def in_review() -> list[Article]:
    return list(
        db.session.scalars(
            select(Article).where(Article.state == ArticleState.REVIEW).order_by(Article.updated_at)
        )
    )


def owned_by(owner: Any) -> list[Article]:
    return list(
        db.session.scalars(
            select(Article).where(Article.owner_id == owner.id).order_by(Article.number)
        )
    )


def is_reviewer(user: Any) -> bool:
    return is_manager(user)
