"""Which configuration items a catalog item's CI question offers (see ``variables``): CIs of
the variable's class and its subclasses, optionally only those whose attribute equals a value,
never retired ones. The employee's picker and the check of an order's answers read the same
query, so a CI the item does not offer (a server's hostname, a datacentre licence) can neither
be found through the portal nor ordered.

Reads only. An offer naming a class or attribute that no longer exists offers nothing rather
than everything.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Select, exists, false, func, select

from app.cmdb import attributes
from app.cmdb.filters import descendants
from app.cmdb.graph.vocabulary import Lifecycle
from app.cmdb.models import (
    VALUE_COLUMN,
    AttributeDefinition,
    AttributeType,
    AttributeValue,
    CIClass,
    ConfigurationItem,
)
from app.extensions import db
from app.requests.catalog.variables import Variable, VariableType


def _class_named(name: str) -> tuple[CIClass | None, list[CIClass]]:
    classes = list(db.session.scalars(select(CIClass)))
    return next((c for c in classes if c.name == name), None), classes


def _definition(ci_class: CIClass, name: str) -> AttributeDefinition | None:
    """The attribute ``name`` a CI of ``ci_class`` has (its own or inherited)."""
    return next((d for d in attributes.definitions_for(ci_class) if d.name == name), None)


def _equals(definition: AttributeDefinition, value: Any) -> ColumnElement[bool]:
    """CIs whose attribute ``definition`` equals the typed ``value`` (text case-insensitively)."""
    column = getattr(AttributeValue, VALUE_COLUMN[definition.type])
    if definition.type is AttributeType.STRING:
        condition = func.lower(column) == str(value).lower()
    else:
        condition = column == value
    return exists(
        select(AttributeValue.ci_id).where(
            AttributeValue.ci_id == ConfigurationItem.id,
            AttributeValue.definition_id == definition.id,
            condition,
        )
    )


def offered(variable: Variable) -> Select:
    """A query over ``ConfigurationItem``: the CIs ``variable`` offers."""
    query = select(ConfigurationItem).where(ConfigurationItem.status != Lifecycle.RETIRED)
    if variable.type != VariableType.CI:
        return query.where(false())
    if not variable.ci_class:
        return query
    root, classes = _class_named(variable.ci_class)
    if root is None:
        return query.where(false())
    query = query.where(ConfigurationItem.class_id.in_(descendants(classes, root.id)))
    if not variable.ci_attribute:
        return query
    definition = _definition(root, variable.ci_attribute)
    try:
        value = attributes.parse_value(definition, variable.ci_value) if definition else None
    except ValueError:
        value = None
    if definition is None or value is None:
        return query.where(false())
    return query.where(_equals(definition, value))


def offer_problems(variables: Sequence[Variable]) -> dict[str, str]:
    """What is wrong with the CI offers of a form about to be saved, keyed
    ``variables.<i>.<field>``: an unknown class, an attribute the class does not have, a value
    that does not fit the attribute's type."""
    problems: dict[str, str] = {}
    for index, variable in enumerate(variables):
        if variable.type != VariableType.CI or not variable.ci_class:
            continue
        where, title = f"variables.{index}", {"number": index + 1, "name": variable.label}
        root, _classes = _class_named(variable.ci_class)
        if root is None:
            problems[f"{where}.ci_class"] = _(
                "Variable %(number)s (%(name)s): choose a CI class from the list.", **title
            )
            continue
        if not variable.ci_attribute:
            continue
        definition = _definition(root, variable.ci_attribute)
        if definition is None:
            names = ", ".join(d.name for d in attributes.definitions_for(root)) or _("none")
            problems[f"{where}.ci_attribute"] = _(
                "Variable %(number)s (%(name)s): %(class)s has no attribute '%(attribute)s' "
                "(its attributes: %(names)s).",
                **title,
                **{"class": root.label},
                attribute=variable.ci_attribute,
                names=names,
            )
            continue
        try:
            attributes.parse_value(definition, variable.ci_value)
        except ValueError as error:
            problems[f"{where}.ci_value"] = _(
                "Variable %(number)s (%(name)s): %(problem)s", **title, problem=error
            )
    return problems
