"""Typed CI attributes: definitions per class (inherited down the class tree), parsing and
validation of submitted values, and the SQL filter on stored values.

Values arrive as text (forms, query strings, imports); :func:`parse_value` turns them into the
Python value of the definition's type or raises ``ValueError`` with a message for people.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, and_, exists, func, select

from app.cmdb.models import (
    VALUE_COLUMN,
    AttributeDefinition,
    AttributeType,
    AttributeValue,
    CIClass,
    ConfigurationItem,
)
from app.errors import Invalid
from app.extensions import db

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,59}$")
TRUE_WORDS = {"true", "yes", "1", "on", "y"}
FALSE_WORDS = {"false", "no", "0", "off", "n"}
MAX_TEXT = 500
MAX_INT = 2**63 - 1


def class_lineage(ci_class: CIClass) -> list[int]:
    """The ids of ``ci_class`` and its ancestors, nearest first (cycles cannot be stored)."""
    ids: list[int] = []
    current: CIClass | None = ci_class
    while current is not None and current.id not in ids:
        ids.append(current.id)
        current = current.parent
    return ids


def definitions_for(ci_class: CIClass) -> list[AttributeDefinition]:
    """The attributes a CI of ``ci_class`` has: its own and its ancestors', in display order."""
    lineage = class_lineage(ci_class)
    found = db.session.scalars(
        select(AttributeDefinition).where(AttributeDefinition.class_id.in_(lineage))
    ).all()
    depth = {class_id: i for i, class_id in enumerate(lineage)}
    return sorted(found, key=lambda d: (-depth[d.class_id], d.position, d.name))


def parse_value(definition: AttributeDefinition, raw: Any) -> Any:
    """The typed value of ``raw`` for ``definition``; ``None`` for an empty input.

    :raise ValueError: the value does not fit the type (the message says why).
    """
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    kind = definition.type
    text = str(raw).strip()
    if kind is AttributeType.STRING:
        if len(text) > MAX_TEXT:
            raise ValueError(_("Keep it under %(limit)s characters.", limit=MAX_TEXT))
        return text
    if kind is AttributeType.CHOICE:
        if text not in (definition.choices or []):
            raise ValueError(
                _("Choose one of: %(choices)s.", choices=", ".join(definition.choices or []))
            )
        return text
    if kind is AttributeType.INTEGER:
        if isinstance(raw, bool) or not re.fullmatch(r"[+-]?\d{1,19}", text):
            raise ValueError(_("Enter a whole number."))
        number = int(text)
        if abs(number) > MAX_INT:
            raise ValueError(_("This number is too large."))
        return number
    if kind is AttributeType.DECIMAL:
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise ValueError(_("Enter a number, e.g. 12.5.")) from None
        if not number.is_finite() or abs(number) >= Decimal(10) ** 14:
            raise ValueError(_("Enter a finite number under 10^14."))
        return number.quantize(Decimal("0.000001"))
    if kind is AttributeType.BOOLEAN:
        if isinstance(raw, bool):
            return raw
        if text.lower() in TRUE_WORDS:
            return True
        if text.lower() in FALSE_WORDS:
            return False
        raise ValueError(_("Enter yes or no."))
    if kind is AttributeType.DATE:
        if isinstance(raw, date):
            return raw
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise ValueError(_("Enter a date as YYYY-MM-DD.")) from None
    raise ValueError(f"Unknown attribute type {kind!r}.")  # pragma: no cover


def display(definition: AttributeDefinition, value: Any) -> str:
    """A value as its reader reads it (a yes or no in their language)."""
    if value is None:
        return "—"
    if definition.type is AttributeType.BOOLEAN:
        return _("yes") if value else _("no")
    if definition.type is AttributeType.DECIMAL:
        return f"{value.normalize():f}"
    return str(value)


def stored_value(row: AttributeValue) -> Any:
    return getattr(row, VALUE_COLUMN[row.definition.type])


def parse_all(
    definitions: Iterable[AttributeDefinition], submitted: Mapping[str, Any], *, partial: bool
) -> dict[int, Any]:
    """Typed values by definition id for the submitted names.

    With ``partial`` only the names present are checked (others are left as they are).

    :raise Invalid: an unknown attribute, a value of the wrong type or a missing required one,
        with one error per field (``attr_<name>``).
    """
    by_name = {d.name: d for d in definitions}
    errors: dict[str, str] = {}
    values: dict[int, Any] = {}
    for name in submitted:
        if name not in by_name:
            errors[f"attr_{name}"] = _("This class has no attribute “%(name)s”.", name=name)
    for name, definition in by_name.items():
        if partial and name not in submitted:
            continue
        try:
            value = parse_value(definition, submitted.get(name))
        except ValueError as error:
            errors[f"attr_{name}"] = _(
                "%(label)s: %(problem)s", label=definition.label, problem=error
            )
            continue
        if value is None and definition.required:
            errors[f"attr_{name}"] = _("%(label)s is required.", label=definition.label)
            continue
        values[definition.id] = value
    if errors:
        raise Invalid(errors, _("Some attributes are not valid.") if len(errors) > 1 else "")
    return values


def filter_clause(definition: AttributeDefinition, raw: str) -> ColumnElement[bool]:
    """A condition on configuration items: attribute ``definition`` matches ``raw``.

    Strings match case-insensitively as a substring; other types match exactly.

    :raise ValueError: ``raw`` does not fit the definition's type.
    """
    value = parse_value(definition, raw)
    if value is None:
        raise ValueError(_("Enter a value to filter on."))
    column = getattr(AttributeValue, VALUE_COLUMN[definition.type])
    if definition.type is AttributeType.STRING:
        condition = func.lower(column).contains(value.lower(), autoescape=True)
    else:
        condition = column == value
    return exists(
        select(AttributeValue.ci_id).where(
            and_(
                AttributeValue.ci_id == ConfigurationItem.id,
                AttributeValue.definition_id == definition.id,
                condition,
            )
        )
    )
