"""The bulk writes of an import: new CIs with their attribute values, and new relations, in a
few multi-row ``INSERT`` s instead of a dozen statements per row, each with the history entry
the services write for the same change (``app.cmdb.history``), the import as its reason.

Everything written here was checked before (``services.validate_ci`` for CIs, the relation
checks of :mod:`app.cmdb.transfer.relations`); the database's constraints still refuse a name
or relation saved meanwhile by someone else (the import then rolls back). Changes to existing
CIs go through ``services.update_ci`` one by one. Flushes only; the caller commits.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select

from app.cmdb import history, services
from app.cmdb.graph.vocabulary import Lifecycle
from app.cmdb.models import (
    VALUE_COLUMN,
    AttributeDefinition,
    AttributeValue,
    CIClass,
    CIRelation,
    ConfigurationItem,
    RelationTypeRow,
)
from app.extensions import db

EMPTY_CI = {field: None for field in services.FIELDS} | {
    "status": Lifecycle.IN_SERVICE,
    "description": "",
    "users_count": 0,
}
"""A new CI's fields when the file leaves them out (every row needs the same keys to be
inserted together)."""


@dataclass
class NewCI:
    """A checked CI to create: ``fields`` and ``values`` as ``services.validate_ci`` returns
    them (values by attribute definition id)."""

    ci_class: CIClass
    fields: Mapping[str, Any]
    values: Mapping[int, Any]


def create_cis(
    new: list[NewCI],
    definitions: Mapping[int, list[AttributeDefinition]],
    *,
    actor: Any,
    reason: history.Reason,
) -> list[int]:
    """Insert ``new`` CIs (in order), their attribute values and their ``created`` history
    entries; ``definitions`` are the attribute definitions by class id. Returns their ids."""
    if not new:
        return []
    rows = [{**EMPTY_CI, **n.fields, "class_id": n.ci_class.id, "version": 1} for n in new]
    query = insert(ConfigurationItem).returning(ConfigurationItem.id, sort_by_parameter_order=True)
    ids = list(db.session.scalars(query, rows))
    known = {d.id: d for found in definitions.values() for d in found}
    names = {d.id: d.name for d in known.values()}
    values: dict[str, list[dict[str, Any]]] = {}
    entries = []
    for ci_id, row, item in zip(ids, rows, new, strict=True):
        for definition_id, value in item.values.items():
            if value is not None:
                column = VALUE_COLUMN[known[definition_id].type]
                values.setdefault(column, []).append(
                    {"ci_id": ci_id, "definition_id": definition_id, column: value}
                )
        snapshot = services.snapshot(ConfigurationItem(**row))  # transient: never added
        attribute_changes = history.new_values(names, item.values)
        entries.append(
            (ci_id, history.created(snapshot, item.ci_class.name, attribute_changes, reason))
        )
    for rows_of_column in values.values():  # one INSERT shape per value column
        db.session.execute(insert(AttributeValue), rows_of_column)
    history.record_many(actor, "created", entries)
    return ids


@dataclass
class NewRelation:
    """``source <type> target``; ends as ``(id, name)``."""

    source: tuple[int, str]
    target: tuple[int, str]
    type: str


def add_relations(new: list[NewRelation], *, actor: Any, reason: history.Reason) -> int:
    """Insert checked relations and their ``relation_added`` entries on both CIs."""
    if not new:
        return 0
    types = {t.name: t for t in db.session.scalars(select(RelationTypeRow))}
    db.session.execute(
        insert(CIRelation),
        [{"source_id": r.source[0], "target_id": r.target[0], "type": r.type} for r in new],
    )
    entries = [
        entry
        for r in new
        for entry in history.relation_entries(
            "relation_added", r.source, r.target, types[r.type], reason
        )
    ]
    history.record_many(actor, "relation_added", entries)
    return len(new)
