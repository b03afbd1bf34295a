"""Small queries over the class tree shared by the class and attribute services."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from app.cmdb.models import AttributeDefinition, CIClass
from app.extensions import db

MAX_NAMES_SHOWN = 5


def subtree_ids(ci_class: CIClass) -> list[int]:
    """The ids of ``ci_class`` and all its subclasses (one query; classes are few)."""
    children: dict[int | None, list[int]] = {}
    for class_id, parent_id in db.session.execute(select(CIClass.id, CIClass.parent_id)):
        children.setdefault(parent_id, []).append(class_id)
    found: list[int] = []
    todo = [ci_class.id]
    while todo:
        current = todo.pop()
        if current not in found:
            found.append(current)
            todo.extend(children.get(current, ()))
    return found


def attribute_names(class_ids: Iterable[int], *, leaving_out: int | None = None) -> set[str]:
    """The names of the attributes defined on these classes (less one definition)."""
    query = select(AttributeDefinition.name).where(
        AttributeDefinition.class_id.in_(list(class_ids))
    )
    if leaving_out is not None:
        query = query.where(AttributeDefinition.id != leaving_out)
    return set(db.session.scalars(query))


def some_names(names: list[str], total: int) -> str:
    """``"a, b, c"`` or ``"a, b, c, d, e, … (12 in all)"``, for refusals that name what is in
    the way."""
    shown = ", ".join(names[:MAX_NAMES_SHOWN])
    return shown if total <= MAX_NAMES_SHOWN else f"{shown}, … ({total} in all)"
