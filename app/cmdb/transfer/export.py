"""Export the CMDB's configuration items and relations as CSV or JSON (see
:mod:`app.cmdb.transfer.format` for the files), in a few queries whatever the number of CIs.

CIs carry every common field, their class by name, people by username, the support and users
groups by name, and their typed attributes (CSV columns ``attr:<name>``, a JSON ``attributes``
object). Relations name both ends by CI name and class. An export imports back unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import aliased

from app.auth.models import Group, User
from app.cmdb import attributes
from app.cmdb.models import (
    AttributeDefinition,
    AttributeValue,
    CIClass,
    CIRelation,
    ConfigurationItem,
)
from app.cmdb.transfer.format import (
    ATTR_PREFIX,
    CI_COLUMNS,
    RELATION_COLUMNS,
    write_csv,
    write_json,
)
from app.extensions import db

CHUNK = 1000


def ci_rows(ci_ids: Select | None = None) -> Iterator[dict[str, Any]]:
    """One dict per CI (ordered by class and name), attributes under ``attributes``; only the
    CIs whose ids ``ci_ids`` selects when given (e.g. the CI list's filters)."""
    c = ConfigurationItem
    owner, assignee = aliased(User), aliased(User)
    support, audience = aliased(Group), aliased(Group)
    query = (
        select(
            c.id,
            c.name,
            CIClass.name.label("class_name"),
            c.status,
            c.environment,
            c.criticality,
            c.description,
            owner.username.label("owner"),
            support.name.label("support_group"),
            c.location,
            c.asset_tag,
            c.serial_number,
            c.model,
            c.warranty_end,
            assignee.username.label("assigned_user"),
            c.users_count,
            audience.name.label("users_group"),
            c.min_up,
            c.min_up_percent,
        )  # fmt: skip
        .join(CIClass, CIClass.id == c.class_id)
        .outerjoin(owner, owner.id == c.owner_id)
        .outerjoin(assignee, assignee.id == c.assigned_user_id)
        .outerjoin(support, support.id == c.support_group_id)
        .outerjoin(audience, audience.id == c.users_group_id)
        .order_by(CIClass.name, c.name, c.id)
    )
    if ci_ids is not None:
        query = query.where(c.id.in_(ci_ids))
    rows = db.session.execute(query).all()
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        values = _attribute_values([r.id for r in chunk])
        for r in chunk:
            yield {
                "name": r.name,
                "class": r.class_name,
                "status": r.status.value,
                "environment": r.environment,
                "criticality": r.criticality,
                "description": r.description or None,
                "owner": r.owner,
                "support_group": r.support_group,
                "location": r.location,
                "asset_tag": r.asset_tag,
                "serial_number": r.serial_number,
                "model": r.model,
                "warranty_end": r.warranty_end,
                "assigned_user": r.assigned_user,
                "users_count": r.users_count,
                "users_group": r.users_group,
                "min_up": r.min_up,
                "min_up_percent": r.min_up_percent,
                "attributes": values.get(r.id, {}),
            }


def _attribute_values(ci_ids: list[int]) -> dict[int, dict[str, Any]]:
    """``{ci id: {attribute name: typed value}}`` for these CIs (one query)."""
    found: dict[int, dict[str, Any]] = {}
    query = (
        select(AttributeValue)
        .join(AttributeDefinition, AttributeDefinition.id == AttributeValue.definition_id)
        .where(AttributeValue.ci_id.in_(ci_ids))
        .order_by(AttributeDefinition.name)
    )
    for row in db.session.scalars(query):
        value = attributes.stored_value(row)
        if value is not None:
            if isinstance(value, Decimal):
                value = Decimal(f"{value.normalize():f}")  # 12.500000 → 12.5, 1E+2 → 100
            found.setdefault(row.ci_id, {})[row.definition.name] = value
    return found


def relation_rows() -> Iterator[dict[str, Any]]:
    """One dict per relation: ``source``, ``source_class``, ``type``, ``target``,
    ``target_class`` (ordered by source, type and target)."""
    source, target = aliased(ConfigurationItem), aliased(ConfigurationItem)
    source_class, target_class = aliased(CIClass), aliased(CIClass)
    query = (
        select(
            source.name.label("source"),
            source_class.name.label("source_class"),
            CIRelation.type,
            target.name.label("target"),
            target_class.name.label("target_class"),
        )
        .join(source, source.id == CIRelation.source_id)
        .join(source_class, source_class.id == source.class_id)
        .join(target, target.id == CIRelation.target_id)
        .join(target_class, target_class.id == target.class_id)
        .order_by(source.name, source_class.name, CIRelation.type, target.name, CIRelation.id)
    )
    for row in db.session.execute(query):
        yield dict(row._mapping)


def attribute_columns(rows: Iterable[dict[str, Any]]) -> list[str]:
    names = sorted({name for row in rows for name in row["attributes"]})
    return [ATTR_PREFIX + name for name in names]


def export_cis(fmt: str, ci_ids: Select | None = None) -> Iterable[str]:
    """The CIs as a CSV or JSON file, in chunks of text."""
    rows = list(ci_rows(ci_ids))
    if fmt == "json":
        return [write_json({"cis": [_json_ci(r) for r in rows]})]
    columns = list(CI_COLUMNS) + attribute_columns(rows)
    return write_csv(columns, (_flat(r) for r in rows))


def export_relations(fmt: str) -> Iterable[str]:
    rows = relation_rows()
    if fmt == "json":
        return [write_json({"relations": list(rows)})]
    return write_csv(RELATION_COLUMNS, rows)


def export_all() -> str:
    """Every CI and relation in one JSON file (it imports back in one go)."""
    return write_json({"cis": [_json_ci(r) for r in ci_rows()], "relations": list(relation_rows())})


def _flat(row: dict[str, Any]) -> dict[str, Any]:
    flat = {k: v for k, v in row.items() if k != "attributes"}
    flat.update({ATTR_PREFIX + k: v for k, v in row["attributes"].items()})
    return flat


def _json_ci(row: dict[str, Any]) -> dict[str, Any]:
    """Empty fields left out; decimals as strings (exact), dates as ``YYYY-MM-DD``."""
    item = {k: v for k, v in row.items() if v is not None and k != "attributes"}
    item["attributes"] = {
        k: (str(v) if isinstance(v, Decimal) else v) for k, v in row["attributes"].items()
    }
    return item
