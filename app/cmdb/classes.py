"""CI classes and their typed attribute definitions, as administrators add them.

Classes form a tree (a class inherits its ancestors' attributes); names are slugs the impact
engine and filters use. Both changes are audited (object type ``ci_class``); adding a class
bumps the CMDB revision. Services flush; the caller commits.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app import audit
from app.cmdb import attributes
from app.cmdb.cache import bump_revision
from app.cmdb.models import AttributeDefinition, AttributeType, CIClass
from app.errors import Invalid
from app.extensions import db


def add_class(
    *,
    actor: Any,
    name: str,
    label: str,
    parent: CIClass | None = None,
    is_hardware: bool | None = None,
) -> CIClass:
    """Add a CI class under ``parent`` (hardware-ness inherited unless given).

    :raise Invalid: a malformed or taken name, or an empty label.
    """
    name = (name or "").strip().lower()
    label = (label or "").strip()
    errors = {}
    if not attributes.NAME_PATTERN.match(name):
        errors["name"] = "Use lowercase letters, digits and underscores, starting with a letter."
    elif db.session.scalar(select(CIClass.id).where(CIClass.name == name)) is not None:
        errors["name"] = f"A class named “{name}” already exists."
    if not label or len(label) > 100:
        errors["label"] = "Give the class a label of at most 100 characters."
    if errors:
        raise Invalid(errors)
    hardware = is_hardware if is_hardware is not None else bool(parent and parent.is_hardware)
    ci_class = CIClass(name=name, label=label, parent=parent, is_hardware=hardware)
    db.session.add(ci_class)
    db.session.flush()
    audit.record(actor, "ci_class", ci_class.id, "created", {"name": [None, name]})
    bump_revision()
    return ci_class


def add_attribute(
    *,
    actor: Any,
    ci_class: CIClass,
    name: str,
    label: str,
    type_: str,
    required: bool = False,
    choices: list[str] | None = None,
) -> AttributeDefinition:
    """Define a typed attribute on a class (and so on its descendants).

    A required attribute applies to new CIs and edits; existing CIs are not rewritten.

    :raise Invalid: a malformed or taken name (in the class or an ancestor), an unknown type,
        or a choice type without choices.
    """
    name = (name or "").strip().lower()
    label = (label or "").strip() or name.replace("_", " ").capitalize()
    errors: dict[str, str] = {}
    try:
        kind = AttributeType(type_)
    except ValueError:
        errors["type"] = "Unknown attribute type."
        kind = AttributeType.STRING
    if not attributes.NAME_PATTERN.match(name):
        errors["name"] = "Use lowercase letters, digits and underscores, starting with a letter."
    elif any(d.name == name for d in attributes.definitions_for(ci_class)):
        errors["name"] = f"{ci_class.label} already has an attribute “{name}”."
    cleaned = [c.strip() for c in (choices or []) if c and c.strip()]
    if kind is AttributeType.CHOICE and not cleaned:
        errors["choices"] = "A choice attribute needs at least one choice."
    if len(cleaned) > 100 or any(len(c) > 100 for c in cleaned):
        errors["choices"] = "At most 100 choices of at most 100 characters."
    if errors:
        raise Invalid(errors)
    definition = AttributeDefinition(
        class_id=ci_class.id,
        name=name,
        label=label[:100],
        type=kind,
        required=required,
        choices=list(dict.fromkeys(cleaned)) if kind is AttributeType.CHOICE else [],
    )
    db.session.add(definition)
    db.session.flush()
    audit.record(
        actor, "ci_class", ci_class.id, "attribute_added", {"attribute": [None, f"{name} ({kind})"]}
    )
    return definition
