"""Small queries over the class tree shared by the class and attribute services, and the one
question the other domains ask of it: which CIs are of a class or one of its subclasses
(:func:`of_class`, e.g. the business services)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import ColumnElement, Select, select

from app.cmdb.models import AttributeDefinition, CIClass, ConfigurationItem
from app.extensions import db

MAX_NAMES_SHOWN = 5


def _with_subclasses(start: ColumnElement[bool]) -> Select[tuple[int]]:
    """The ids of the classes matching ``start`` and of all their subclasses, as a recursive
    CTE: one statement whatever the depth of the tree."""
    classes = select(CIClass.id).where(start).cte(recursive=True)
    # UNION, not UNION ALL: a class met twice (a loop in the hierarchy) ends the walk.
    classes = classes.union(select(CIClass.id).where(CIClass.parent_id == classes.c.id))
    return select(classes.c.id)


def of_class(name: str) -> ColumnElement[bool]:
    """A condition on :class:`ConfigurationItem`: its class is the one named ``name`` or one
    of that class's subclasses (``of_class(BUSINESS_SERVICE)``: the business services, the
    kinds of service an administrator added under it included). No class of that name: no
    CI. The walk runs inside the caller's statement, whose other conditions stay its own."""
    return ConfigurationItem.class_id.in_(_with_subclasses(CIClass.name == name))


def subtree_ids(ci_class: CIClass) -> list[int]:
    """The ids of ``ci_class`` and all its subclasses, in id order (one query)."""
    return sorted(db.session.scalars(_with_subclasses(CIClass.id == ci_class.id)))


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
