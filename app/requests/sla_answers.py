"""What the catalog tells the SLA: receivers of ``app.sla.signals``, connected by the
application factory (the SLA narrows policies to catalog items without importing requests)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select, union_all

from app.extensions import db
from app.requests.models import CatalogItem, CatalogTask, RequestItem


def catalog_items(sender: object, *, active: bool, ids: Sequence[int]) -> list[CatalogItem]:
    """Every active catalog item (``active``) and those with these ``ids``, by name."""
    wanted = CatalogItem.id.in_(ids)
    query = select(CatalogItem).where(CatalogItem.is_active | wanted if active else wanted)
    return list(db.session.scalars(query.order_by(CatalogItem.name)))


def ticket_catalog_items(sender: object, *, ticket_ids: Sequence[int]) -> dict[int, int]:
    """``{ticket id: catalog item id}`` of these request items and catalog tasks, in one query
    (other tickets are simply absent)."""
    if not ticket_ids:
        return {}
    item, task = RequestItem.__table__, CatalogTask.__table__
    own = select(item.c.id, item.c.catalog_item_id).where(item.c.id.in_(ticket_ids))
    of_task = (
        select(task.c.id, item.c.catalog_item_id)
        .join(item, item.c.id == task.c.item_id)
        .where(task.c.id.in_(ticket_ids))
    )
    return {row[0]: row[1] for row in db.session.execute(union_all(own, of_task))}
