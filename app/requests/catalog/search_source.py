"""Catalog items in the search index, each only for those who may order it
(``services.may_order_clause``): name as title, descriptions and category as body."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from flask import url_for
from sqlalchemy import ColumnElement, select

from app.extensions import db
from app.i18n import N_
from app.requests.catalog.services import may_order_clause
from app.requests.models import CatalogCategory, CatalogItem
from app.search.models import SearchDocument
from app.search.sources import Document, Source


def _documents(ids: Sequence[int]) -> Iterator[Document]:
    rows = db.session.execute(
        select(
            CatalogItem.id,
            CatalogItem.name,
            CatalogItem.short_description,
            CatalogItem.description,
            CatalogCategory.name,
        )
        .outerjoin(CatalogCategory, CatalogCategory.id == CatalogItem.category_id)
        .where(CatalogItem.id.in_(ids))
    )
    for item_id, name, short, description, category in rows:
        body = "\n".join(p for p in (short, description, category) if p)
        yield Document(source_id=item_id, kind="catalog_item", ref=name, title=name, body=body)


def _visible(user: Any) -> ColumnElement[bool] | None:
    return SearchDocument.source_id.in_(select(CatalogItem.id).where(may_order_clause(user)))


SOURCE = Source(
    name="catalog_item",
    label=N_("Catalog"),
    watch={CatalogItem: lambda item: item.id},
    documents=_documents,
    all_ids=lambda: select(CatalogItem.id).order_by(CatalogItem.id),
    visible=_visible,
    sees_notes=lambda _user: True,
    url=lambda document, _user: url_for("requests.catalog_item", item_id=document.source_id),
)
