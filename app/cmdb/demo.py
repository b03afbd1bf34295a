"""Load the demo CMDB (``demo/cmdb.json``) idempotently, through the services.

Classes are matched by name, attributes by class and name, CIs by class and name
(case-insensitively), relations by source, target and type: what exists is left alone, so a
second load adds nothing and never undoes an administrator's changes. People and groups the
file names are looked up by username and group name; missing ones are left empty (load the
demo organisation first for owners, support groups and assignees).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select

from app.auth.models import Group, User
from app.cmdb import services
from app.cmdb.models import AttributeDefinition, CIClass, CIRelation, ConfigurationItem
from app.extensions import db


@dataclass
class CMDBDemoReport:
    classes_added: int = 0
    attributes_added: int = 0
    cis_added: int = 0
    relations_added: int = 0


def load_cmdb(data: dict[str, Any]) -> CMDBDemoReport:
    """Create what is missing of the demo CMDB (flushes only; the caller commits).

    :raise KeyError: a relation names a CI or class the file and the database lack.
    :raise app.errors.Invalid: a CI or attribute in the file breaks a rule.
    """
    report = CMDBDemoReport()
    classes = {c.name: c for c in db.session.scalars(select(CIClass))}
    for spec in data.get("classes", []):
        if spec["name"] in classes:
            continue
        classes[spec["name"]] = services.add_class(
            actor=None,
            name=spec["name"],
            label=spec["label"],
            parent=classes.get(spec.get("parent") or ""),
            is_hardware=spec.get("hardware"),
        )
        report.classes_added += 1

    defined = set(
        db.session.execute(select(AttributeDefinition.class_id, AttributeDefinition.name)).all()
    )
    for spec in data.get("attributes", []):
        ci_class = classes[spec["class"]]
        if (ci_class.id, spec["name"]) in defined:
            continue
        services.add_attribute(
            actor=None,
            ci_class=ci_class,
            name=spec["name"],
            label=spec.get("label", ""),
            type_=spec["type"],
            required=spec.get("required", False),
            choices=spec.get("choices"),
        )
        defined.add((ci_class.id, spec["name"]))
        report.attributes_added += 1

    people = {u.username: u.id for u in db.session.scalars(select(User))}
    groups = {g.name: g.id for g in db.session.scalars(select(Group))}
    existing = {
        (class_id, name.lower()): ci_id
        for ci_id, class_id, name in db.session.execute(
            select(ConfigurationItem.id, ConfigurationItem.class_id, ConfigurationItem.name)
        )
    }
    by_name: dict[str, int] = {name: ci_id for (_, name), ci_id in existing.items()}
    for spec in data.get("cis", []):
        ci_class = classes[spec["class"]]
        key = (ci_class.id, spec["name"].lower())
        if key in existing:
            by_name.setdefault(spec["name"].lower(), existing[key])
            continue
        fields: dict[str, Any] = {
            "name": spec["name"],
            "status": spec.get("status", "in_service"),
            "environment": spec.get("environment"),
            "criticality": spec.get("criticality"),
            "description": spec.get("description", ""),
            "location": spec.get("location"),
            "owner_id": people.get(spec.get("owner") or ""),
            "support_group_id": groups.get(spec.get("support_group") or ""),
            "users_count": spec.get("users", 0),
            "min_up": spec.get("min_up"),
            "min_up_percent": spec.get("min_up_percent"),
        }
        if ci_class.is_hardware:
            fields.update(
                asset_tag=spec.get("asset_tag"),
                serial_number=spec.get("serial"),
                model=spec.get("model"),
                warranty_end=date.fromisoformat(spec["warranty_end"])
                if spec.get("warranty_end")
                else None,
                assigned_user_id=people.get(spec.get("assigned_to") or ""),
            )
        ci = services.create_ci(
            actor=None, ci_class=ci_class, attribute_values=spec.get("attributes") or {}, **fields
        )
        existing[key] = ci.id
        by_name[spec["name"].lower()] = ci.id
        report.cis_added += 1

    related = set(
        db.session.execute(
            select(CIRelation.source_id, CIRelation.target_id, CIRelation.type)
        ).all()
    )
    cis_by_id: dict[int, ConfigurationItem] = {}

    def ci_named(name: str) -> ConfigurationItem:
        ci_id = by_name[name.lower()]
        if ci_id not in cis_by_id:
            cis_by_id[ci_id] = db.session.get(ConfigurationItem, ci_id)
        return cis_by_id[ci_id]

    for source_name, type_name, target_name in data.get("relations", []):
        source, target = ci_named(source_name), ci_named(target_name)
        if (source.id, target.id, type_name) in related:
            continue
        services.relate(source, target, type_name, actor=None)
        related.add((source.id, target.id, type_name))
        report.relations_added += 1
    return report


def count_cis() -> int:
    return db.session.scalar(select(func.count()).select_from(ConfigurationItem)) or 0
