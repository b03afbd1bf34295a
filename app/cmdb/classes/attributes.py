"""Typed attribute definitions of CI classes, as administrators add, edit and delete them.

A definition applies to its class and every subclass; its name is unique along that line
(ancestors and descendants), because a CI sees all of them at once. The rules:

* Label, help text and "required" can always change. A newly required attribute applies to
  new CIs and to edits; existing CIs are not rewritten (the edit page counts those without a
  value).
* The **name** can change (it is the column name imports and list filters use).
* The **type** changes only while no CI holds a value: values are not converted.
* **Choices** can be added and reordered; a choice some CIs hold cannot be removed.
* **Deleting** a definition nobody holds a value for is immediate. When CIs hold values the
  answer is a 409 naming them, unless the administrator confirms by typing the attribute's
  name: then the values are removed too, and each CI's history records its lost value.

Changes are audited on the class (object type ``ci_class``). Edits carry the version the form
was loaded with (stale: 409). Services flush; the caller commits.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from app import audit
from app.cmdb import attributes
from app.cmdb.classes.tree import MAX_NAMES_SHOWN, attribute_names, some_names, subtree_ids
from app.cmdb.models import (
    AttributeDefinition,
    AttributeType,
    AttributeValue,
    CIClass,
    ConfigurationItem,
)
from app.errors import Conflict, Invalid, check_version
from app.extensions import db
from app.i18n import N_
from app.i18n.stored import stored as stored_message

MAX_HELP = 300


def _clean_fields(
    ci_class: CIClass,
    name: str,
    label: str,
    help_text: str,
    type_: str,
    choices: list[str] | None,
    definition: AttributeDefinition | None = None,
) -> tuple[dict[str, Any], dict[str, str]]:
    """The normalised fields of a definition and the errors found in them."""
    name = (name or "").strip().lower()
    label = (label or "").strip() or name.replace("_", " ").capitalize()
    help_text = (help_text or "").strip()
    errors: dict[str, str] = {}
    try:
        kind = AttributeType(type_)
    except ValueError:
        errors["type"] = _("Unknown attribute type.")
        kind = AttributeType.STRING
    if not attributes.NAME_PATTERN.match(name):
        errors["name"] = _("Use lowercase letters, digits and underscores, starting with a letter.")
    else:
        line = attributes.class_lineage(ci_class) + subtree_ids(ci_class)
        if name in attribute_names(line, leaving_out=definition.id if definition else None):
            errors["name"] = _(
                "%(class)s, a parent or a subclass already has an attribute “%(name)s”.",
                **{"class": ci_class.label},
                name=name,
            )
    if len(label) > 100:
        errors["label"] = _("Keep the label under 100 characters.")
    if len(help_text) > MAX_HELP:
        errors["help"] = _("Keep the help text under %(max)s characters.", max=MAX_HELP)
    cleaned = list(dict.fromkeys(c.strip() for c in (choices or []) if c and c.strip()))
    if kind is AttributeType.CHOICE and not cleaned:
        errors["choices"] = _("A choice attribute needs at least one choice.")
    if len(cleaned) > 100 or any(len(c) > 100 for c in cleaned):
        errors["choices"] = _("At most 100 choices of at most 100 characters.")
    fields = {
        "name": name,
        "label": label,
        "help": help_text,
        "type": kind,
        "choices": cleaned if kind is AttributeType.CHOICE else [],
    }
    return fields, errors


def add_attribute(
    *,
    actor: Any,
    ci_class: CIClass,
    name: str,
    label: str,
    type_: str,
    required: bool = False,
    choices: list[str] | None = None,
    help_text: str = "",
) -> AttributeDefinition:
    """Define a typed attribute on a class (and so on its subclasses).

    :raise Invalid: a malformed or taken name (along the class's line), an unknown type, a
        choice type without choices, too long a label or help text.
    """
    fields, errors = _clean_fields(ci_class, name, label, help_text, type_, choices)
    if errors:
        raise Invalid(errors)
    definition = AttributeDefinition(class_id=ci_class.id, required=required, **fields)
    db.session.add(definition)
    db.session.flush()
    audit.record(
        actor,
        "ci_class",
        ci_class.id,
        "attribute_added",
        {"attribute": [None, f"{definition.name} ({definition.type})"]},
    )
    return definition


def value_usage(definition: AttributeDefinition) -> dict[str, Any]:
    """How many CIs hold a value of ``definition``, the first names, and how many CIs of its
    classes have no value (what making it required leaves to fill in)."""
    holders = (
        select(ConfigurationItem.name)
        .join(AttributeValue, AttributeValue.ci_id == ConfigurationItem.id)
        .where(AttributeValue.definition_id == definition.id)
    )
    count = db.session.scalar(select(func.count()).select_from(holders.subquery())) or 0
    names = list(
        db.session.scalars(holders.order_by(ConfigurationItem.name).limit(MAX_NAMES_SHOWN))
    )
    in_classes = select(func.count(ConfigurationItem.id)).where(
        ConfigurationItem.class_id.in_(subtree_ids(definition.ci_class))
    )
    return {
        "count": count,
        "ci_names": names,
        "missing": (db.session.scalar(in_classes) or 0) - count,
    }


def _snapshot(definition: AttributeDefinition) -> dict[str, Any]:
    return {
        "name": definition.name,
        "label": definition.label,
        "help": definition.help,
        "type": definition.type.value,
        "required": definition.required,
        "choices": list(definition.choices or []),
    }


def update_attribute(
    definition: AttributeDefinition,
    *,
    actor: Any,
    name: str,
    label: str,
    type_: str,
    required: bool = False,
    choices: list[str] | None = None,
    help_text: str = "",
    expected_version: Any = None,
) -> dict[str, list[Any]]:
    """Edit a definition; see the module rules.

    :raise Invalid: bad fields or a taken name.
    :raise Conflict: a stale form, a type change while CIs hold values, a removed choice that
        CIs hold.
    :return: the changes, ``{field: [old, new]}`` (empty when nothing changed).
    """
    check_version(definition, expected_version, f"The attribute {definition.label}")
    ci_class = definition.ci_class
    fields, errors = _clean_fields(ci_class, name, label, help_text, type_, choices, definition)
    if errors:
        raise Invalid(errors)
    if fields["type"] is not definition.type:
        held = value_usage(definition)
        if held["count"]:
            raise Conflict(
                _(
                    "%(count)s CIs hold a value of %(attribute)s (%(names)s): its type cannot "
                    "change, because their values would not fit. Add a new attribute instead, "
                    "or delete this one with its values.",
                    count=held["count"],
                    attribute=definition.label,
                    names=some_names(held["ci_names"], held["count"]),
                )
            )
    elif definition.type is AttributeType.CHOICE:
        _check_removed_choices(definition, fields["choices"])
    before = _snapshot(definition)
    for key, value in fields.items():
        setattr(definition, key, value)
    definition.required = required
    changes = audit.diff(before, _snapshot(definition))
    if not changes:
        return {}
    db.session.flush()
    audit.record(
        actor,
        "ci_class",
        ci_class.id,
        "attribute_updated",
        {f"{definition.name}.{k}": v for k, v in changes.items()},
    )
    return changes


def _check_removed_choices(definition: AttributeDefinition, kept: list[str]) -> None:
    """:raise Conflict: some removed choices are held by CIs (with how many each)."""
    removed = [c for c in definition.choices or [] if c not in kept]
    if not removed:
        return
    rows = db.session.execute(
        select(AttributeValue.value_text, func.count())
        .where(
            AttributeValue.definition_id == definition.id,
            AttributeValue.value_text.in_(removed),
        )
        .group_by(AttributeValue.value_text)
        .order_by(AttributeValue.value_text)
    ).all()
    if rows:
        held = ", ".join(
            _("“%(value)s” (%(count)s CIs)", value=value, count=count) for value, count in rows
        )
        raise Conflict(
            _(
                "Some choices you removed are still used: %(held)s. Change those CIs first, "
                "or keep the choices.",
                held=held,
            )
        )


def delete_attribute(
    definition: AttributeDefinition,
    *,
    actor: Any,
    confirm: str = "",
    expected_version: Any = None,
) -> int:
    """Delete a definition; with ``confirm`` equal to its name, with the values CIs hold.

    :raise Conflict: a stale form, or CIs hold values and the name was not typed to confirm.
    :return: the number of values removed.
    """
    check_version(definition, expected_version, f"The attribute {definition.label}")
    rows = list(
        db.session.execute(
            select(AttributeValue, ConfigurationItem.name)
            .join(ConfigurationItem, ConfigurationItem.id == AttributeValue.ci_id)
            .where(AttributeValue.definition_id == definition.id)
            .order_by(ConfigurationItem.name)
        )
    )
    if rows and (confirm or "").strip().lower() != definition.name:
        names = [name for _, name in rows[:MAX_NAMES_SHOWN]]
        raise Conflict(
            _(
                "%(count)s CIs hold a value of %(attribute)s (%(names)s). To delete it with "
                "those values, type its name “%(name)s” to confirm.",
                count=len(rows),
                attribute=definition.label,
                names=some_names(names, len(rows)),
                name=definition.name,
            )
        )
    reason = stored_message(N_("attribute %(name)s deleted"), name=definition.name)
    for value, _count in rows:
        stored = attributes.stored_value(value)
        # A yes or no stays a boolean: the history words it for each reader.
        old = stored if isinstance(stored, bool) else attributes.display(definition, stored)
        audit.record(
            actor,
            "ci",
            value.ci_id,
            "updated",
            {f"attr:{definition.name}": [old, None], "reason": reason},
        )
        db.session.delete(value)
    class_id, snapshot = definition.class_id, _snapshot(definition)
    db.session.delete(definition)
    db.session.flush()
    audit.record(
        actor,
        "ci_class",
        class_id,
        "attribute_deleted",
        {"attribute": [f"{snapshot['name']} ({snapshot['type']})", None], "values": [len(rows), 0]},
    )
    return len(rows)
