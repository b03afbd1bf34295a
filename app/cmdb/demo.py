"""Load the demo CMDB idempotently: the hand-written core of ``demo/cmdb.json`` (the CIs the demo
incidents name) and the estate around it (:mod:`app.cmdb.demo_estate`, about 2,250 CIs).

Classes are matched by name, attributes by class and name, CIs by class and name
(case-insensitively), relations by source, target and type: what exists is left alone, so a
second load adds nothing and never undoes an administrator's changes. People and groups are
looked up by username and group name; missing ones are left empty (load the demo organisation
first for owners, support groups, users groups and assignees). A service whose users are a
group of the demo organisation (``users_group``: everyone for mail, sign-in or the intranet)
counts its people exactly; the others keep their number of users.

Classes and attributes go through the services. CIs and relations, thousands of them, are
checked by the same rules as :func:`app.cmdb.services.create_ci` and
:func:`~app.cmdb.services.relate` (``validate_ci``, known types, no self-relation, no
duplicate) and written in bulk by the import's writer (:mod:`app.cmdb.transfer.write`), each
CI with its ``created`` history entry and each relation with its entry on both CIs, as the
services write them, with "demo data" as their reason; the CMDB revision is bumped once. The
whole load takes about a second on SQLite.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from app.auth.models import Group, User
from app.cmdb import attributes, services
from app.cmdb.demo_estate import build_estate
from app.cmdb.models import (
    AttributeDefinition,
    CIClass,
    CIRelation,
    ConfigurationItem,
    RelationTypeRow,
)
from app.cmdb.transfer.write import NewCI, NewRelation, add_relations, create_cis
from app.demo import read_organisation
from app.errors import Invalid
from app.extensions import db
from app.i18n import N_
from app.i18n.stored import stored

REASON = stored(N_("demo data"))
"""Why the demo's CIs and relations exist, in their history (worded in its reader's
language)."""
HARDWARE_SPEC = {"asset_tag": "asset_tag", "serial": "serial_number", "model": "model"}


@dataclass
class CMDBDemoReport:
    classes_added: int = 0
    attributes_added: int = 0
    cis_added: int = 0
    relations_added: int = 0


def demo_data(data: Mapping[str, Any], *, scale: float = 1.0) -> dict[str, list[Any]]:
    """The core ``data`` and the estate around it (for the demo organisation's people), as one
    document in the format of ``demo/cmdb.json``."""
    estate = build_estate(data, read_organisation()["people"], scale=scale)
    return {key: [*data.get(key, []), *estate[key]] for key in estate}


def load_cmdb(data: Mapping[str, Any], *, scale: float = 1.0) -> CMDBDemoReport:
    """Create what is missing of the demo CMDB: ``data`` (``demo/cmdb.json``) and the estate
    around it at ``scale`` (in (0, 1]; tests use a small one). Flushes only; the caller commits.

    :raise KeyError: a relation names a CI or class the data and the database lack.
    :raise app.errors.Invalid: a CI, attribute or relation in the data breaks a rule.
    """
    return load_document(demo_data(data, scale=scale))


def load_document(data: Mapping[str, Any]) -> CMDBDemoReport:
    """Create what is missing of a document in the format of ``demo/cmdb.json``."""
    report = CMDBDemoReport()
    classes = _classes(data, report)
    _attributes(data, classes, report)
    ids = _cis(data, classes, report)
    _relations(data, ids, report)
    if report.cis_added or report.relations_added:
        from app.cmdb.cache import bump_revision  # here: it imports numpy (issue 20)

        bump_revision(None)  # a bulk change: workers reload once
    db.session.flush()
    return report


def _classes(data: Mapping[str, Any], report: CMDBDemoReport) -> dict[str, CIClass]:
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
    return classes


def _attributes(
    data: Mapping[str, Any], classes: Mapping[str, CIClass], report: CMDBDemoReport
) -> None:
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


def _fields(
    spec: Mapping[str, Any], ci_class: CIClass, people: Mapping[str, int], groups: Mapping[str, int]
) -> dict[str, Any]:
    """The CI fields of one spec, as ``create_ci`` takes them."""
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
        "users_group_id": groups.get(spec.get("users_group") or ""),
        "min_up": spec.get("min_up"),
        "min_up_percent": spec.get("min_up_percent"),
    }
    if ci_class.is_hardware:
        fields.update({field: spec.get(key) for key, field in HARDWARE_SPEC.items()})
        fields["warranty_end"] = spec.get("warranty_end")
        fields["assigned_user_id"] = people.get(spec.get("assigned_to") or "")
    return fields


def _cis(
    data: Mapping[str, Any], classes: Mapping[str, CIClass], report: CMDBDemoReport
) -> dict[str, tuple[int, str]]:
    """Create the missing CIs; returns ``(id, name)`` of every CI the data names, by lower-cased
    name. :raise Invalid: a CI breaks a rule of ``validate_ci`` or is given twice."""
    people = dict(db.session.execute(select(User.username, User.id)).all())
    groups = dict(db.session.execute(select(Group.name, Group.id)).all())
    existing = {
        (class_id, name.lower()): (ci_id, name)
        for ci_id, class_id, name in db.session.execute(
            select(ConfigurationItem.id, ConfigurationItem.class_id, ConfigurationItem.name)
        )
    }
    definitions: dict[int, list[AttributeDefinition]] = {}
    named: dict[str, tuple[int, str]] = {}
    new: list[NewCI] = []
    pending: set[tuple[int, str]] = set()
    for spec in data.get("cis", []):
        ci_class = classes[spec["class"]]
        key = (ci_class.id, spec["name"].lower())
        if key in existing:
            named[key[1]] = existing[key]
            continue
        if key in pending:
            raise Invalid({"name": _("%(name)s is given twice.", name=spec["name"])})
        pending.add(key)
        if ci_class.id not in definitions:
            definitions[ci_class.id] = attributes.definitions_for(ci_class)
        try:
            fields, values, _problems = services.validate_ci(
                ci_class,
                _fields(spec, ci_class, people, groups),
                spec.get("attributes") or {},
                definitions=definitions[ci_class.id],
            )
        except Invalid as error:
            raise Invalid(
                error.field_errors,
                _("%(name)s: %(message)s", name=spec["name"], message=error.message),
            ) from error
        new.append(NewCI(ci_class, fields, values))
    ids = create_cis(new, definitions, actor=None, reason=REASON)
    for ci_id, item in zip(ids, new, strict=True):
        named[item.fields["name"].lower()] = (ci_id, item.fields["name"])
    report.cis_added = len(new)
    return named


def _relations(
    data: Mapping[str, Any], named: Mapping[str, tuple[int, str]], report: CMDBDemoReport
) -> None:
    """Create the missing relations. :raise Invalid: an unknown type or a self-relation."""
    types = set(db.session.scalars(select(RelationTypeRow.name)))
    related = set(
        db.session.execute(select(CIRelation.source_id, CIRelation.target_id, CIRelation.type))
    )
    new = []
    for source_name, type_name, target_name in data.get("relations", []):
        source, target = named[source_name.lower()], named[target_name.lower()]
        if type_name not in types:
            raise Invalid({"type": _("Unknown relation type “%(name)s”.", name=type_name)})
        if source[0] == target[0]:
            raise Invalid({"target": _("%(name)s cannot be related to itself.", name=source[1])})
        if (source[0], target[0], type_name) not in related:
            related.add((source[0], target[0], type_name))
            new.append(NewRelation(source, target, type_name))
    report.relations_added = add_relations(new, actor=None, reason=REASON)


def count_cis() -> int:
    return db.session.scalar(select(func.count()).select_from(ConfigurationItem)) or 0
