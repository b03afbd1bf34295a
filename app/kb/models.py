"""Knowledge articles, their published versions, votes, links, flags and deflection attempts.

An article's working copy (``title``, ``body``) is what its authors edit; each publication
copies it into an :class:`ArticleVersion` (kept for ever, with who approved it), and readers
see the version numbered ``published_version``, so editing a published article never hides
it: it stays readable while the new draft is written and reviewed.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import Group, User
from app.db import TimestampMixin, str_enum, unique
from app.extensions import Model, db
from app.i18n import N_
from app.timeutils import utc_now

TITLE_MAX = 200
BODY_MAX = 100_000
KEYWORDS_MAX = 500


class ArticleState(enum.StrEnum):
    DRAFT = "draft"
    REVIEW = "review"
    PUBLISHED = "published"
    RETIRED = "retired"

    @property
    def label(self) -> str:
        return {
            "draft": N_("Draft"),
            "review": N_("In review"),
            "published": N_("Published"),
            "retired": N_("Retired"),
        }[self.value]


class Audience(enum.StrEnum):
    EVERYONE = "everyone"
    IT_STAFF = "it_staff"
    GROUP = "group"

    @property
    def label(self) -> str:
        return {
            "everyone": N_("Everyone"),
            "it_staff": N_("IT staff only"),
            "group": N_("A group"),
        }[self.value]


class AttemptOutcome(enum.StrEnum):
    OPEN = "open"  # still typing, or left: "possible deflection" when an article was opened
    SOLVED = "solved"  # "This solved my problem"
    TICKET = "ticket"  # the report was sent anyway


article_cis = Table(
    "kb_article_cis",
    db.metadata,
    Column("article_id", ForeignKey("kb_articles.id", ondelete="CASCADE"), primary_key=True),
    Column("ci_id", ForeignKey("configuration_items.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_kb_article_cis_ci_id", "ci_id"),
)

article_catalog_items = Table(
    "kb_article_catalog_items",
    db.metadata,
    Column("article_id", ForeignKey("kb_articles.id", ondelete="CASCADE"), primary_key=True),
    Column("item_id", ForeignKey("catalog_items.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_kb_article_catalog_items_item_id", "item_id"),
)


class KbCategory(Model):
    __tablename__ = "kb_categories"
    __table_args__ = (
        unique("name", field="name", message=N_("A category with this name already exists.")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))


class Article(TimestampMixin, Model):
    __tablename__ = "kb_articles"
    __table_args__ = (
        UniqueConstraint("number"),
        Index("ix_kb_articles_state_category", "state", "category_id"),
        # One translation per language of an article.
        UniqueConstraint(
            "translation_of_id", "language", name="uq_kb_articles_translation_of_id_language"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    body: Mapped[str] = mapped_column(Text, default="")
    keywords: Mapped[str] = mapped_column(String(KEYWORDS_MAX), default="")
    language: Mapped[str] = mapped_column(String(10), default="en")
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("kb_categories.id", ondelete="SET NULL"), index=True
    )
    audience: Mapped[Audience] = mapped_column(
        str_enum(Audience, "kb_audience"), default=Audience.EVERYONE
    )
    audience_group_id: Mapped[int | None] = mapped_column(
        ForeignKey("groups.id", ondelete="SET NULL"), index=True
    )
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    state: Mapped[ArticleState] = mapped_column(
        str_enum(ArticleState, "kb_article_state"), default=ArticleState.DRAFT
    )
    published_version: Mapped[int | None] = mapped_column(Integer)
    review_on: Mapped[date | None] = mapped_column(Date, index=True)
    view_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The article this one is a language version of (None: an original). A translation is an
    # article of its own, written, reviewed and published through the same flow.
    translation_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("kb_articles.id", ondelete="SET NULL")
    )
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version}

    category: Mapped[KbCategory | None] = relationship(lazy="joined")
    owner: Mapped[User] = relationship(lazy="joined")
    audience_group: Mapped[Group | None] = relationship()
    versions: Mapped[list[ArticleVersion]] = relationship(
        back_populates="article", order_by="ArticleVersion.number", cascade="all, delete-orphan"
    )
    translation_of: Mapped[Article | None] = relationship(
        remote_side=[id], back_populates="translations"
    )
    translations: Mapped[list[Article]] = relationship(
        back_populates="translation_of", order_by="Article.language"
    )

    @property
    def is_live(self) -> bool:
        """Readable by its audience: published once and not retired."""
        return self.published_version is not None and self.state != ArticleState.RETIRED

    @property
    def current(self) -> ArticleVersion | None:
        """The version readers see."""
        return next((v for v in self.versions if v.number == self.published_version), None)


class ArticleVersion(Model):
    """A published version, as it was published (never changed afterwards)."""

    __tablename__ = "kb_article_versions"
    __table_args__ = (UniqueConstraint("article_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("kb_articles.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    body: Mapped[str] = mapped_column(Text)
    published_at: Mapped[datetime] = mapped_column(default=utc_now)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    article: Mapped[Article] = relationship(back_populates="versions")
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])
    author: Mapped[User | None] = relationship(foreign_keys=[author_id])


class ArticleFile(Model):
    """An image or file of an article, its bytes in the attachment store."""

    __tablename__ = "kb_article_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("kb_articles.id", ondelete="CASCADE"), index=True
    )
    key: Mapped[str] = mapped_column(String(80))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)

    @property
    def is_image(self) -> bool:
        return self.content_type in IMAGE_TYPES


IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})


class ArticleVote(Model):
    """ "Was this helpful?": one answer per person per published version (a second answer
    replaces the first)."""

    __tablename__ = "kb_article_votes"
    __table_args__ = (UniqueConstraint("article_id", "version_number", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("kb_articles.id", ondelete="CASCADE"))
    version_number: Mapped[int] = mapped_column(Integer)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    helpful: Mapped[bool] = mapped_column(Boolean)
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utc_now)

    user: Mapped[User] = relationship()


class ArticleFlag(Model):
    """ "This article is wrong", raised from a ticket: a task for the article's owner."""

    __tablename__ = "kb_article_flags"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("kb_articles.id", ondelete="CASCADE"), index=True
    )
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))
    flagged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    resolved_at: Mapped[datetime | None] = mapped_column()

    article: Mapped[Article] = relationship()
    flagged_by: Mapped[User | None] = relationship()


class ArticleIncident(Model):
    """An article linked to an incident by an agent (KCS: it helped, or resolved it)."""

    __tablename__ = "kb_article_incidents"
    __table_args__ = (Index("ix_kb_article_incidents_ticket_id", "ticket_id"),)

    article_id: Mapped[int] = mapped_column(
        ForeignKey("kb_articles.id", ondelete="CASCADE"), primary_key=True
    )
    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True
    )
    linked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    linked_at: Mapped[datetime] = mapped_column(default=utc_now)

    article: Mapped[Article] = relationship()


class DeflectionAttempt(Model):
    """One attempt of a person to get help through the report form: started by the first
    suggestions shown, ended by "This solved my problem" or by sending the report."""

    __tablename__ = "kb_deflection_attempts"
    __table_args__ = (UniqueConstraint("token"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    started_at: Mapped[datetime] = mapped_column(default=utc_now)
    ended_at: Mapped[datetime | None] = mapped_column()
    outcome: Mapped[AttemptOutcome] = mapped_column(
        str_enum(AttemptOutcome, "kb_attempt_outcome"), default=AttemptOutcome.OPEN
    )
    solved_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("kb_articles.id", ondelete="SET NULL"), index=True
    )


class AttemptArticle(Model):
    """An article opened during an attempt."""

    __tablename__ = "kb_attempt_articles"
    __table_args__ = (Index("ix_kb_attempt_articles_article_id", "article_id"),)

    attempt_id: Mapped[int] = mapped_column(
        ForeignKey("kb_deflection_attempts.id", ondelete="CASCADE"), primary_key=True
    )
    article_id: Mapped[int] = mapped_column(
        ForeignKey("kb_articles.id", ondelete="CASCADE"), primary_key=True
    )
    opened_at: Mapped[datetime] = mapped_column(default=utc_now)
