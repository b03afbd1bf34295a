"""CI classes as administrators add, edit and delete them.

Classes form a tree (a class inherits its ancestors' attributes); names are slugs the impact
engine, imports and filters use. The rules an administrator meets:

* **Built-in classes** (server, business service, …) keep their name and place in the tree and
  cannot be deleted: the impact engine, the demo data and imports rely on them. Their label,
  description and hardware flag can change.
* A class **moves** under another only when no CI would lose attribute values: CIs of the
  class (or of its subclasses) holding values of an attribute inherited from an old ancestor
  block the move, and so does an attribute name the new ancestors already use.
* Switching **hardware** off is refused while CIs of the class hold asset fields.
* A class is **deleted** only when it has no CIs (retired ones included) and no subclasses;
  its attribute definitions go with it. Otherwise the answer is a 409 naming what is in the way.

Attribute definitions are edited in :mod:`app.cmdb.classes.attributes`. Every change is
audited (object type ``ci_class``); a change the impact engine sees (a class's name or parent)
bumps the CMDB revision. Edits carry the version the form was loaded with (stale: 409).
Services flush; the caller commits.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from app import audit
from app.cmdb import attributes
from app.cmdb.classes.attributes import add_attribute  # noqa: F401  (re-exported)
from app.cmdb.classes.tree import MAX_NAMES_SHOWN, attribute_names, some_names, subtree_ids
from app.cmdb.models import AttributeDefinition, AttributeValue, CIClass, ConfigurationItem
from app.errors import Conflict, Invalid, check_version
from app.extensions import db

MAX_DESCRIPTION = 2000
HARDWARE_COLUMNS = (
    ConfigurationItem.asset_tag,
    ConfigurationItem.serial_number,
    ConfigurationItem.model,
    ConfigurationItem.warranty_end,
    ConfigurationItem.assigned_user_id,
)


def class_usage(ci_class: CIClass) -> dict[str, Any]:
    """What depends on a class: its CIs (count, first names) and its direct subclasses."""
    query = select(ConfigurationItem.name).where(ConfigurationItem.class_id == ci_class.id)
    count = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    names = list(db.session.scalars(query.order_by(ConfigurationItem.name).limit(MAX_NAMES_SHOWN)))
    children = list(
        db.session.scalars(
            select(CIClass.label).where(CIClass.parent_id == ci_class.id).order_by(CIClass.label)
        )
    )
    return {"cis": count, "ci_names": names, "subclasses": children}


def _check_class_fields(
    name: str, label: str, description: str, ci_class: CIClass | None = None
) -> dict[str, str]:
    errors = {}
    if not attributes.NAME_PATTERN.match(name):
        errors["name"] = _("Use lowercase letters, digits and underscores, starting with a letter.")
    else:
        taken = select(CIClass.id).where(CIClass.name == name)
        if ci_class is not None:
            taken = taken.where(CIClass.id != ci_class.id)
        if db.session.scalar(taken) is not None:
            errors["name"] = _("A class named “%(name)s” already exists.", name=name)
    if not label or len(label) > 100:
        errors["label"] = _("Give the class a label of at most 100 characters.")
    if len(description) > MAX_DESCRIPTION:
        errors["description"] = _(
            "Keep the description under %(max)s characters.", max=MAX_DESCRIPTION
        )
    return errors


def add_class(
    *,
    actor: Any,
    name: str,
    label: str,
    parent: CIClass | None = None,
    is_hardware: bool | None = None,
    description: str = "",
) -> CIClass:
    """Add a CI class under ``parent`` (hardware-ness inherited unless given).

    :raise Invalid: a malformed or taken name, an empty label, a too long description.
    """
    name = (name or "").strip().lower()
    label = (label or "").strip()
    description = (description or "").strip()
    errors = _check_class_fields(name, label, description)
    if errors:
        raise Invalid(errors)
    hardware = is_hardware if is_hardware is not None else bool(parent and parent.is_hardware)
    ci_class = CIClass(
        name=name, label=label, parent=parent, is_hardware=hardware, description=description
    )
    db.session.add(ci_class)
    db.session.flush()
    audit.record(actor, "ci_class", ci_class.id, "created", {"name": [None, name]})
    from app.cmdb.cache import bump_revision  # here: it imports numpy (issue 20)

    bump_revision(())  # no CI has it yet
    return ci_class


def _snapshot(ci_class: CIClass) -> dict[str, Any]:
    return {
        "name": ci_class.name,
        "label": ci_class.label,
        "description": ci_class.description,
        "parent": ci_class.parent.name if ci_class.parent else None,
        "is_hardware": ci_class.is_hardware,
    }


def update_class(
    ci_class: CIClass,
    *,
    actor: Any,
    name: str,
    label: str,
    description: str = "",
    parent: CIClass | None = None,
    is_hardware: bool = False,
    expected_version: Any = None,
) -> dict[str, list[Any]]:
    """Rename, relabel, describe, move or (un)flag a class as hardware; see the module rules.

    :raise Invalid: bad fields, a built-in class renamed or moved, a move under itself.
    :raise Conflict: a stale form, a move that would orphan attribute values, hardware off
        while CIs hold asset fields.
    :return: the changes, ``{field: [old, new]}`` (empty when nothing changed).
    """
    check_version(ci_class, expected_version, _("The class %(name)s", name=ci_class.label))
    name = (name or "").strip().lower()
    label = (label or "").strip()
    description = (description or "").strip()
    errors = _check_class_fields(name, label, description, ci_class)
    moved = (parent.id if parent else None) != ci_class.parent_id
    if ci_class.builtin and name != ci_class.name:
        errors["name"] = _(
            "Built-in classes keep their name: the impact engine and imports use it."
        )
    if ci_class.builtin and moved:
        errors["parent"] = _("Built-in classes keep their place in the class tree.")
    elif moved and parent is not None and parent.id in subtree_ids(ci_class):
        errors["parent"] = _("A class cannot be placed under itself or one of its subclasses.")
    if errors:
        raise Invalid(errors)
    if moved:
        _check_move(ci_class, parent)
    if ci_class.is_hardware and not is_hardware:
        _check_no_hardware_values(ci_class)
    before = _snapshot(ci_class)
    ci_class.name, ci_class.label, ci_class.description = name, label, description
    ci_class.parent, ci_class.is_hardware = parent, is_hardware
    changes = audit.diff(before, _snapshot(ci_class))
    if not changes:
        return {}
    db.session.flush()
    audit.record(actor, "ci_class", ci_class.id, "updated", changes)
    if "name" in changes or "parent" in changes:
        from app.cmdb.cache import bump_revision  # here: it imports numpy (issue 20)

        bump_revision(_cis_of(subtree_ids(ci_class)))
    return changes


def _cis_of(class_ids: list[int]) -> list[int] | None:
    """The CIs of these classes (the graph's name of their class may have changed), or
    ``None`` when they are more than a change lists (workers reload)."""
    from app.cmdb.cache import LIST_AT_MOST

    found = list(
        db.session.scalars(
            select(ConfigurationItem.id)
            .where(ConfigurationItem.class_id.in_(class_ids))
            .limit(LIST_AT_MOST + 1)
        )
    )
    return found if len(found) <= LIST_AT_MOST else None


def _check_move(ci_class: CIClass, parent: CIClass | None) -> None:
    """:raise Conflict: CIs would lose inherited values, or a name would be defined twice."""
    old_lineage = attributes.class_lineage(ci_class)[1:]
    new_lineage = attributes.class_lineage(parent) if parent is not None else []
    lost = [c for c in old_lineage if c not in new_lineage]
    subtree = subtree_ids(ci_class)
    if lost:
        rows = db.session.execute(
            select(AttributeDefinition.label, func.count(AttributeValue.ci_id))
            .join(AttributeValue, AttributeValue.definition_id == AttributeDefinition.id)
            .join(ConfigurationItem, ConfigurationItem.id == AttributeValue.ci_id)
            .where(AttributeDefinition.class_id.in_(lost))
            .where(ConfigurationItem.class_id.in_(subtree))
            .group_by(AttributeDefinition.label)
            .order_by(AttributeDefinition.label)
        ).all()
        if rows:
            held = ", ".join(
                _("%(attribute)s (%(count)s CIs)", attribute=label, count=count)
                for label, count in rows
            )
            raise Conflict(
                _(
                    "Moving %(class)s would drop inherited attributes that CIs hold values "
                    "for: %(held)s. Delete those values (or the attributes) first.",
                    **{"class": ci_class.label},
                    held=held,
                )
            )
    gained = attribute_names(new_lineage) - attribute_names(old_lineage)
    clash = sorted(gained & attribute_names(subtree))
    if clash:
        raise Conflict(
            _(
                "Under %(parent)s, attribute names would be defined twice: %(names)s. Rename "
                "one of them first.",
                parent=parent.label if parent else _("the root"),
                names=", ".join(clash),
            )
        )


def _check_no_hardware_values(ci_class: CIClass) -> None:
    """:raise Conflict: CIs of the class hold asset fields that would be hidden."""
    query = select(ConfigurationItem.name).where(
        ConfigurationItem.class_id == ci_class.id,
        or_(*(column.is_not(None) for column in HARDWARE_COLUMNS)),
    )
    names = list(db.session.scalars(query.order_by(ConfigurationItem.name).limit(MAX_NAMES_SHOWN)))
    if names:
        total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
        raise Conflict(
            _(
                "%(count)s CIs of %(class)s have asset fields (asset tag, serial number, "
                "model, warranty, assignee) filled in: %(names)s. Clear them before switching "
                "hardware off.",
                count=total,
                names=some_names(names, total),
                **{"class": ci_class.label},
            )
        )


def delete_class(ci_class: CIClass, *, actor: Any, expected_version: Any = None) -> None:
    """Delete a class without CIs or subclasses, with its attribute definitions.

    :raise Conflict: a stale form, a built-in class, CIs of the class or subclasses (the
        message names them).
    """
    check_version(ci_class, expected_version, _("The class %(name)s", name=ci_class.label))
    if ci_class.builtin:
        raise Conflict(
            _(
                "%(name)s is a built-in class: the impact engine and imports rely on it, so it "
                "cannot be deleted.",
                name=ci_class.label,
            )
        )
    usage = class_usage(ci_class)
    if subclasses := usage["subclasses"]:
        raise Conflict(
            _(
                "%(name)s has subclasses (%(names)s): delete or move them first.",
                name=ci_class.label,
                names=some_names(subclasses, len(subclasses)),
            )
        )
    if usage["cis"]:
        raise Conflict(
            _(
                "%(count)s CIs are of class %(name)s (%(names)s), retired ones included: "
                "delete them first.",
                count=usage["cis"],
                name=ci_class.label,
                names=some_names(usage["ci_names"], usage["cis"]),
            )
        )
    definitions = list(
        db.session.scalars(
            select(AttributeDefinition).where(AttributeDefinition.class_id == ci_class.id)
        )
    )
    snapshot = {**_snapshot(ci_class), "attributes": sorted(d.name for d in definitions)}
    try:
        with db.session.begin_nested():
            for definition in definitions:
                db.session.delete(definition)
            db.session.delete(ci_class)
            db.session.flush()
    except IntegrityError:  # a CI or subclass was added meanwhile
        raise Conflict(
            _(
                "%(name)s got a CI or a subclass while you were deleting it; reload.",
                name=ci_class.label,
            )
        ) from None
    audit.record(
        actor, "ci_class", ci_class.id, "deleted", {k: [v, None] for k, v in snapshot.items()}
    )
    from app.cmdb.cache import bump_revision  # here: it imports numpy (issue 20)

    bump_revision(())  # it had no CI
