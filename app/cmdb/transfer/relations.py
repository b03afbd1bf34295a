"""The relation rows of an import file, checked (see :mod:`app.cmdb.transfer.imports`).

A relation names its ends by CI id (``source_id``), or by name, with the class
(``source_class``) when CIs of several classes share the name; an end may be a CI the same file
creates. Its type is a type's name (``runs_on``) or forward phrase (``runs on``). A
self-relation, an unknown end or type, or the same relation twice in the file is an error;
a relation already recorded is counted and left alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select, tuple_

from app.cmdb.models import CIRelation
from app.cmdb.transfer.format import Record, RowError, as_text, describe_where
from app.extensions import db

if TYPE_CHECKING:
    from app.cmdb.transfer.imports import Importer

End = int | tuple[int, str]
"""A relation's end: an existing CI's id, or ``(class id, lower-cased name)`` of a new one."""
CHUNK = 500


@dataclass
class RelationPlan:
    record: Record
    source: End
    target: End
    type: str


def check_relations(importer: Importer, records: list[Record]) -> list[RelationPlan]:
    """The relations to add; errors go to ``importer.report``."""
    resolved = []
    seen: dict[tuple[End, End, str], str] = {}
    for record in records:
        importer.checked_one()
        found = _resolve(importer, record)
        if found is None:
            continue
        key = (found.source, found.target, found.type)
        if key in seen:
            message = f"The same relation is already on {describe_where(seen[key])}."
            importer.report.add(RowError(record.where, "target", message))
            continue
        seen[key] = record.where
        resolved.append(found)
    present = _recorded(resolved)
    plans = []
    for plan in resolved:
        if (plan.source, plan.target, plan.type) in present:
            importer.report.relations_present += 1
        else:
            plans.append(plan)
    importer.report.relations_new = len(plans)
    return plans


def _resolve(importer: Importer, record: Record) -> RelationPlan | None:
    errors: list[RowError] = []

    def error(column: str, message: str) -> None:
        errors.append(RowError(record.where, column, message))

    type_text = as_text(record.values.get("type"))
    types = importer.types
    relation_type = types.get(type_text.lower().replace(" ", "_")) or next(
        (t for t in types.values() if t.forward.lower() == type_text.lower()), None
    )
    if relation_type is None and type_text:
        error(
            "type", f"Unknown relation type “{type_text[:60]}”. Types: {', '.join(sorted(types))}."
        )
    elif relation_type is None:
        error("type", "Give the relation type.")
    source = _end(importer, record, "source", error)
    target = _end(importer, record, "target", error)
    if source is not None and source == target:
        error("target", "A CI cannot be related to itself.")
    for row_error in errors:
        importer.report.add(row_error)
    if errors or source is None or target is None or relation_type is None:
        return None
    return RelationPlan(record, source, target, relation_type.name)


def _end(
    importer: Importer, record: Record, end: str, error: Callable[[str, str], None]
) -> End | None:
    values = record.values
    raw_id = as_text(values.get(f"{end}_id"))
    if raw_id:
        if not raw_id.isdecimal() or int(raw_id) not in importer.existing_ids:
            error(f"{end}_id", f"No CI has the id “{raw_id[:30]}”.")
            return None
        return int(raw_id)
    name, class_text = as_text(values.get(end)), as_text(values.get(f"{end}_class"))
    if not name:
        error(end, f"Give the {end} CI's name (or “{end}_id”).")
        return None
    lower = name.lower()
    candidates = importer.names.get(lower, set()) | importer.file_names.get(lower, set())
    what = "CI"
    if class_text:
        ci_class = importer.class_named(class_text)
        if ci_class is None:
            error(f"{end}_class", f"Unknown class “{class_text[:60]}”.")
            return None
        candidates &= {ci_class.id}
        what = ci_class.label.lower()
    if not candidates:
        error(end, f"No {what} is named “{name[:200]}”, in the CMDB or in this file.")
        return None
    if len(candidates) > 1:
        names = ", ".join(sorted(c.name for c in importer.classes.values() if c.id in candidates))
        error(end, f"Several CIs are named “{name[:200]}” ({names}): give “{end}_class”.")
        return None
    key = (candidates.pop(), lower)
    return importer.existing.get(key, key)


def _recorded(plans: list[RelationPlan]) -> set[tuple[End, End, str]]:
    """The relations among ``plans`` that are already recorded (both ends existing)."""
    pairs = sorted(
        {
            (p.source, p.target)
            for p in plans
            if isinstance(p.source, int) and isinstance(p.target, int)
        }
    )
    found: set[tuple[End, End, str]] = set()
    pair = tuple_(CIRelation.source_id, CIRelation.target_id)
    for start in range(0, len(pairs), CHUNK):
        query = select(CIRelation.source_id, CIRelation.target_id, CIRelation.type).where(
            pair.in_(pairs[start : start + CHUNK])
        )
        found.update(tuple(row) for row in db.session.execute(query))
    return found
