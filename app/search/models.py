"""The search index's table: one row per searchable thing, whatever its domain.

The full-text columns, indexes and tables of each dialect are the migration's (named
``fts_*``; see ``migrations/versions/*_search_documents.py``): a trigger keeps the PostgreSQL
``tsvector`` columns, and :mod:`app.search.index` writes the SQLite FTS5 row beside each
document.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import Model
from app.timeutils import utc_now


class SearchDocument(Model):
    """What a source says about one of its rows: a title (weighted over the body), a public
    body, and notes only IT staff may search (a ticket's work notes). ``kind`` and ``ref``
    are the source's own words for the row (``incident``, ``INC0001234``), for its link;
    ``audience`` its words for who may find it (a knowledge article's ``it_staff``)."""

    __tablename__ = "search_documents"
    __table_args__ = (UniqueConstraint("source", "source_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(20))
    source_id: Mapped[int]
    kind: Mapped[str] = mapped_column(String(30), default="")
    ref: Mapped[str] = mapped_column(String(60), default="")
    language: Mapped[str] = mapped_column(String(20), default="english")
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    # Who may find it, in the source's own words (``Document.audience``): a plain column its
    # ``visible`` can test, where a subquery over the source's rows would cost every search.
    audience: Mapped[str] = mapped_column(String(40), default="", server_default="")
    updated_at: Mapped[datetime] = mapped_column(default=utc_now)
