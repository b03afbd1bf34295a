"""CMDB services: create, edit, retire and delete CIs, set their attributes, relate them, and
(classes and attribute definitions: :mod:`app.cmdb.classes.services`, re-exported here).

Every change is audited (``app.audit.record``, object type ``ci``; a relation change is recorded
on both of its CIs) and bumps the CMDB revision in the same transaction, so every process's
graph cache (:mod:`app.cmdb.cache`) rebuilds on its next use. Services flush; the caller
commits. Rules raise ``Invalid`` (per field), ``Conflict`` (stale version, CI still related) or
``NotFound``.

The helpers for incidents (:func:`impact_of_ci_names`, :func:`offer_impact`, and
:func:`upstream_names` for correlation) live in :mod:`app.cmdb.analysis`, re-exported here.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, or_, select

from app import audit
from app.auth.models import Group
from app.cmdb import attributes, history
from app.cmdb.analysis import (  # noqa: F401  (re-exported for incidents)
    impact_of_ci_names,
    offer_impact,
    upstream_names,
)
from app.cmdb.classes.services import add_attribute, add_class  # noqa: F401  (re-exported)
from app.cmdb.graph.vocabulary import Lifecycle
from app.cmdb.models import (
    CRITICALITY,
    ENVIRONMENTS,
    AttributeDefinition,
    AttributeValue,
    CIClass,
    CIRelation,
    ConfigurationItem,
    RelationTypeRow,
)
from app.errors import Conflict, Invalid, check_version
from app.extensions import db

FIELDS = (
    "name", "status", "environment", "criticality", "description", "owner_id",
    "support_group_id", "location", "asset_tag", "serial_number", "model", "warranty_end",
    "assigned_user_id", "users_count", "users_group_id", "min_up", "min_up_percent",
)  # fmt: skip
HARDWARE_FIELDS = ("asset_tag", "serial_number", "model", "warranty_end", "assigned_user_id")
INTEGER_FIELDS = ("criticality", "users_count", "min_up", "min_up_percent")
TEXT_LIMITS = {"name": 200, "location": 200, "asset_tag": 80, "serial_number": 120, "model": 120}


def snapshot(ci: ConfigurationItem) -> dict[str, Any]:
    """The audited fields of a CI as JSON-ready values."""
    values: dict[str, Any] = {f: getattr(ci, f) for f in FIELDS}
    values["status"] = ci.status.value if ci.status else None
    values["warranty_end"] = ci.warranty_end.isoformat() if ci.warranty_end else None
    return values


def _clean(fields: Mapping[str, Any], ci_class: CIClass) -> dict[str, Any]:
    """Checked and normalised CI fields. :raise Invalid: one error per bad field."""
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    for key, value in fields.items():
        if key not in FIELDS:
            errors[key] = _("This field cannot be set.")
            continue
        if isinstance(value, str):
            value = value.strip() or None
        limit = TEXT_LIMITS.get(key)
        if limit and value is not None and len(value) > limit:
            errors[key] = _("Keep it under %(limit)s characters.", limit=limit)
        clean[key] = value
    for key in INTEGER_FIELDS:
        value = clean.get(key)
        if value is None or (isinstance(value, int) and not isinstance(value, bool)):
            continue
        try:
            clean[key] = int(str(value))
        except ValueError:
            errors[key] = _("Enter a whole number.")
            clean[key] = None
    if "name" in clean and not clean["name"]:
        errors["name"] = _("A CI needs a name.")
    if "status" in clean:
        try:
            clean["status"] = Lifecycle(clean["status"] or Lifecycle.IN_SERVICE)
        except ValueError:
            errors["status"] = _(
                "Unknown lifecycle status: use %(statuses)s.", statuses=", ".join(Lifecycle)
            )
    if clean.get("environment") is not None and clean["environment"] not in ENVIRONMENTS:
        errors["environment"] = _("Choose one of: %(choices)s.", choices=", ".join(ENVIRONMENTS))
    if clean.get("criticality") is not None and clean["criticality"] not in CRITICALITY:
        errors["criticality"] = _("Criticality goes from 1 (critical) to 4 (low).")
    if "description" in clean:
        clean["description"] = clean["description"] or ""
    if "users_count" in clean:
        clean["users_count"] = clean["users_count"] or 0
        if clean["users_count"] < 0:
            errors["users_count"] = _("The number of users cannot be negative.")
    text = clean.get("users_group_id")
    if isinstance(text, str) and text.isascii() and text.isdecimal():
        clean["users_group_id"] = int(clean["users_group_id"])
    if clean.get("users_group_id") is not None:
        message = _check_users_group(clean["users_group_id"])
        if message:
            errors["users_group_id"] = message
    if clean.get("min_up") is not None and clean.get("min_up_percent") is not None:
        errors["min_up"] = _("Give at least N members up, or a percentage, not both.")
    elif clean.get("min_up") is not None and clean["min_up"] < 1:
        errors["min_up"] = _("At least 1 member must stay up.")
    percent = clean.get("min_up_percent")
    if percent is not None and not 0 < percent <= 100:
        errors["min_up_percent"] = _("A percentage between 1 and 100.")
    if not ci_class.is_hardware:
        for key in HARDWARE_FIELDS:
            if clean.get(key) is not None:
                errors[key] = _(
                    "A %(class)s has no hardware asset fields.",
                    **{"class": ci_class.label.lower()},
                )
    if isinstance(clean.get("warranty_end"), str):
        try:
            clean["warranty_end"] = date.fromisoformat(clean["warranty_end"])
        except ValueError:
            errors["warranty_end"] = _("Enter a date as YYYY-MM-DD.")
    if errors:
        raise Invalid(errors)
    return clean


def _check_users_group(group_id: Any) -> str | None:
    """Why ``group_id`` cannot be a CI's users group, or ``None`` when it can."""
    if isinstance(group_id, bool) or not isinstance(group_id, int):
        return _("Choose the users group from the list.")
    if not 0 < group_id < 2**31 or db.session.get(Group, group_id) is None:
        return _("There is no such group (any more): choose another one.")
    return None


def validate_ci(
    ci_class: CIClass,
    fields: Mapping[str, Any],
    attribute_values: Mapping[str, Any] | None,
    *,
    ci: ConfigurationItem | None = None,
    definitions: list[AttributeDefinition] | None = None,
) -> tuple[dict[str, Any], dict[int, Any], list[AttributeDefinition]]:
    """The checked fields and typed attribute values of a new CI (or of changes to ``ci``,
    where attributes not given stay), and the class's attribute definitions. The name's
    uniqueness is not checked here (it needs the other CIs; see :func:`create_ci`).

    :raise Invalid: every bad field and attribute at once (attributes as ``attr_<name>``).
    """
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    values: dict[int, Any] = {}
    try:
        clean = _clean(fields, ci_class)
    except Invalid as error:
        errors.update(error.field_errors)
    if ci is not None and "min_up" not in errors:
        rule = [clean.get(k, getattr(ci, k)) for k in ("min_up", "min_up_percent")]
        if None not in rule:
            errors["min_up"] = [_("Give at least N members up, or a percentage, not both.")]
    if definitions is None:
        definitions = attributes.definitions_for(ci_class)
    try:
        values = attributes.parse_all(definitions, attribute_values or {}, partial=ci is not None)
    except Invalid as error:
        errors.update(error.field_errors)
    if errors:
        raise Invalid(errors, _("Some fields are not valid.") if len(errors) > 1 else "")
    return clean, values, definitions


_batch: ContextVar[list[bool] | None] = ContextVar("cmdb_batch", default=None)


@contextmanager
def one_revision() -> Iterator[None]:
    """CMDB changes made inside count as one revision, bumped once at the end when anything
    changed (bulk imports). Nothing is bumped when the block raises (the caller rolls back)."""
    changed = [False]
    token = _batch.set(changed)
    try:
        yield
    finally:
        _batch.reset(token)
    if changed[0]:
        from app.cmdb.cache import bump_revision  # here: it imports numpy (issue 20)

        bump_revision(None)  # a bulk change: workers reload once


def note_change(ci_ids: Iterable[int] | None = None) -> None:
    """Bump the CMDB revision for a change of these CIs (their rows or relations; ``None``:
    too many to list) now, or once at the end of the enclosing :func:`one_revision`."""
    from app.cmdb.cache import bump_revision  # here: it imports numpy (issue 20)

    pending = _batch.get()
    if pending is None:
        bump_revision(ci_ids)
    else:
        pending[0] = True


def _check_unique_name(name: str, ci_class: CIClass, ci_id: int | None = None) -> None:
    query = select(ConfigurationItem.id).where(
        ConfigurationItem.class_id == ci_class.id,
        ConfigurationItem.name_key == func.lower(name),
    )
    if ci_id is not None:
        query = query.where(ConfigurationItem.id != ci_id)
    if db.session.scalar(query.limit(1)) is not None:
        raise Invalid(
            {
                "name": _(
                    "A %(class)s named “%(name)s” already exists.",
                    name=name,
                    **{"class": ci_class.label.lower()},
                )
            }
        )


def create_ci(
    *,
    actor: Any,
    ci_class: CIClass,
    attribute_values: Mapping[str, Any] | None = None,
    reason: history.Reason = None,
    **fields: Any,
) -> ConfigurationItem:
    """Create a CI with its attributes; ``reason`` (e.g. an import) is kept in its history.

    :raise Invalid: bad fields, attributes or name taken.
    """
    fields.setdefault("status", Lifecycle.IN_SERVICE)
    fields.setdefault("users_count", 0)
    clean, values, definitions = validate_ci(ci_class, fields, attribute_values)
    _check_unique_name(clean["name"], ci_class)
    ci = ConfigurationItem(class_id=ci_class.id, **clean)
    ci.ci_class = ci_class
    db.session.add(ci)
    db.session.flush()
    changes = history.created(
        snapshot(ci), ci_class.name, _write_values(ci, definitions, values), reason
    )
    audit.record(actor, "ci", ci.id, "created", changes)
    note_change((ci.id,))
    return ci


def update_ci(
    ci: ConfigurationItem,
    *,
    actor: Any,
    expected_version: Any = None,
    attribute_values: Mapping[str, Any] | None = None,
    reason: history.Reason = None,
    **fields: Any,
) -> dict[str, list[Any]]:
    """Change a CI's fields and the attributes given; returns the audited changes (``reason``,
    e.g. an import, is kept with them in the history).

    :raise Conflict: the CI changed since ``expected_version``.
    :raise Invalid: bad fields or attributes, or the name is taken in the class.
    """
    check_version(ci, expected_version, f"CI {ci.name}")
    clean, values, definitions = validate_ci(ci.ci_class, fields, attribute_values, ci=ci)
    if "name" in clean:
        _check_unique_name(clean["name"], ci.ci_class, ci.id)
    before = snapshot(ci)
    for key, value in clean.items():
        setattr(ci, key, value)
    changes = audit.diff(before, snapshot(ci))
    changes.update(_write_values(ci, definitions, values))
    if changes:
        audit.record(actor, "ci", ci.id, "updated", history.with_reason(changes, reason))
        note_change((ci.id,))
        db.session.flush()
    return changes


def set_attributes(ci: ConfigurationItem, values: Mapping[str, Any], *, actor: Any) -> dict:
    """Set some attributes of a CI (others stay). :raise Invalid: see ``parse_all``."""
    return update_ci(ci, actor=actor, attribute_values=values)


def _write_values(
    ci: ConfigurationItem, definitions: list[AttributeDefinition], values: Mapping[int, Any]
) -> dict[str, list[Any]]:
    """Store typed values (``None`` deletes); the changes as ``{"attr:name": [old, new]}``."""
    if not values:
        return {}
    by_id = {d.id: d for d in definitions}
    existing = {
        row.definition_id: row
        for row in db.session.scalars(select(AttributeValue).where(AttributeValue.ci_id == ci.id))
    }
    changes: dict[str, list[Any]] = {}
    for definition_id, value in values.items():
        definition = by_id[definition_id]
        row = existing.get(definition_id)
        old = attributes.stored_value(row) if row is not None else None
        if old == value:
            continue
        changes[f"attr:{definition.name}"] = [history.jsonable(old), history.jsonable(value)]
        if value is None:
            db.session.delete(row)
            continue
        if row is None:
            row = AttributeValue(ci_id=ci.id, definition_id=definition_id)
            row.definition = definition
            db.session.add(row)
        setattr(row, attributes.VALUE_COLUMN[definition.type], value)
    return changes


def retire_ci(ci: ConfigurationItem, *, actor: Any, expected_version: Any = None) -> None:
    """Retire a CI: it stays, with its history and relations, but no longer counts in impact.

    :raise Conflict: stale version. :raise Invalid: already retired.
    """
    if ci.status is Lifecycle.RETIRED:
        raise Invalid({"status": _("%(name)s is already retired.", name=ci.name)})
    update_ci(ci, actor=actor, expected_version=expected_version, status=Lifecycle.RETIRED)


def relations_of(ci: ConfigurationItem) -> list[CIRelation]:
    """Every relation of ``ci``, either way, with both ends loaded (one query)."""
    from sqlalchemy.orm import joinedload

    return list(
        db.session.scalars(
            select(CIRelation)
            .where(or_(CIRelation.source_id == ci.id, CIRelation.target_id == ci.id))
            .options(joinedload(CIRelation.source), joinedload(CIRelation.target))
            .order_by(CIRelation.type, CIRelation.id)
        ).unique()
    )


def delete_ci(ci: ConfigurationItem, *, actor: Any) -> None:
    """Delete a CI that has no relations (prefer retiring).

    :raise Conflict: the CI still has relations; the message lists them, and the error's
        ``dependents`` holds the related CIs' names.
    """
    related = relations_of(ci)
    if related:
        lines = [_describe_from(r, ci) for r in related]
        error = Conflict(
            ngettext(
                "%(name)s cannot be deleted: it still has %(num)d relation (%(lines)s). "
                "Remove it first, or retire the CI.",
                "%(name)s cannot be deleted: it still has %(num)d relations (%(lines)s). "
                "Remove them first, or retire the CI.",
                len(related),
                name=ci.name,
                lines="; ".join(lines[:20]) + ("; …" if len(lines) > 20 else ""),
            )
        )
        error.dependents = sorted(  # type: ignore[attr-defined]
            {(r.target if r.source_id == ci.id else r.source).name for r in related}
        )
        raise error
    audit.record(actor, "ci", ci.id, "deleted", {k: [v, None] for k, v in snapshot(ci).items()})
    db.session.delete(ci)
    note_change((ci.id,))
    db.session.flush()


def _describe_from(relation: CIRelation, ci: ConfigurationItem) -> str:
    if relation.source_id == ci.id:
        return f"{relation.relation_type.forward} {relation.target.name}"
    return f"{relation.relation_type.reverse} {relation.source.name}"


def relate(
    source: ConfigurationItem,
    target: ConfigurationItem,
    type_name: str,
    *,
    actor: Any,
    reason: history.Reason = None,
) -> CIRelation:
    """Record ``source <type> target`` (``reason``, e.g. an import, goes in the history of
    both CIs). Cycles are allowed.

    :raise Invalid: unknown type, a self-relation, or the same relation already recorded.
    """
    relation_type = db.session.get(RelationTypeRow, type_name) if type_name else None
    if relation_type is None:
        raise Invalid({"type": _("Unknown relation type.")})
    if source.id == target.id:
        raise Invalid({"target": _("%(name)s cannot be related to itself.", name=source.name)})
    duplicate = db.session.scalar(
        select(CIRelation.id).where(
            CIRelation.source_id == source.id,
            CIRelation.target_id == target.id,
            CIRelation.type == type_name,
        )
    )
    if duplicate is not None:
        raise Invalid(
            {
                "target": _(
                    "%(source)s already %(relation)s %(target)s.",
                    source=source.name,
                    relation=relation_type.forward,
                    target=target.name,
                )
            }
        )
    relation = CIRelation(source_id=source.id, target_id=target.id, type=type_name)
    db.session.add(relation)
    db.session.flush()
    _audit_relation(actor, "relation_added", source, target, relation_type, reason)
    note_change((source.id, target.id))
    return relation


def unrelate(relation: CIRelation, *, actor: Any) -> None:
    """Remove a relation (audited on both CIs)."""
    source, target, relation_type = relation.source, relation.target, relation.relation_type
    db.session.delete(relation)
    _audit_relation(actor, "relation_removed", source, target, relation_type)
    note_change((source.id, target.id))
    db.session.flush()


def _audit_relation(
    actor: Any,
    action: str,
    source: ConfigurationItem,
    target: ConfigurationItem,
    relation_type: RelationTypeRow,
    reason: history.Reason = None,
) -> None:
    ends = (source.id, source.name), (target.id, target.name)
    for ci_id, changes in history.relation_entries(action, *ends, relation_type, reason):
        audit.record(actor, "ci", ci_id, action, changes)
