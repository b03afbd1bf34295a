"""The CI list's filters, parsed once, for the UI list (and a future API): text, class (with
its descendants), lifecycle status, environment, and typed attribute values (``a_<name>``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import joinedload
from wtforms import SelectChoice, SelectField, SelectMultipleField, StringField
from wtforms.validators import Length, Optional

from app.cmdb import attributes
from app.cmdb.forms import ENVIRONMENT_CHOICES, STATUS_CHOICES
from app.cmdb.models import AttributeDefinition, CIClass, ConfigurationItem
from app.filtering import FilterForm
from app.search import query as search_query

SORTS = {
    "name": (ConfigurationItem.name,),
    "updated": (ConfigurationItem.updated_at.desc(),),
    "class": (ConfigurationItem.class_id, ConfigurationItem.name),
}
MAX_ATTRIBUTE_FILTERS = 10


class CIFilterForm(FilterForm):
    q = StringField(_l("Search"), validators=[Optional(), Length(max=200)])
    ci_class = SelectField(_l("Class"), validate_choice=False, default="")
    status = SelectMultipleField(_l("Status"), choices=STATUS_CHOICES, validate_choice=True)
    environment = SelectField(
        _l("Environment"),
        choices=[SelectChoice("", _l("Any"))] + ENVIRONMENT_CHOICES[1:],
        default="",
    )
    sort = SelectField(choices=[SelectChoice(k, k) for k in SORTS], default="name")


@dataclass
class AttributeFilters:
    """The attribute filters the selected class offers, their values and their errors."""

    definitions: list[AttributeDefinition] = field(default_factory=list)
    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def descendants(classes: list[CIClass], root_id: int) -> set[int]:
    """``root_id`` and every class below it."""
    children: dict[int | None, list[int]] = {}
    for c in classes:
        children.setdefault(c.parent_id, []).append(c.id)
    found, stack = set(), [root_id]
    while stack:
        current = stack.pop()
        if current not in found:
            found.add(current)
            stack.extend(children.get(current, []))
    return found


def ci_query(
    form: CIFilterForm, classes: list[CIClass], args: Mapping[str, str]
) -> tuple[Select, AttributeFilters]:
    """The CIs matching a validated filter form (and the attribute filters in ``args``).

    Attribute filters apply when a class is chosen: its own and inherited attributes. A value
    that does not fit the attribute's type is reported in ``errors`` and not applied.
    """
    query = select(ConfigurationItem).options(
        joinedload(ConfigurationItem.support_group), joinedload(ConfigurationItem.owner)
    )
    extra = AttributeFilters()
    by_id = {c.id: c for c in classes}
    chosen = by_id.get(int(form.ci_class.data)) if (form.ci_class.data or "").isdecimal() else None
    if chosen is not None:
        query = query.where(ConfigurationItem.class_id.in_(descendants(classes, chosen.id)))
        extra.definitions = attributes.definitions_for(chosen)
        applied = 0
        for definition in extra.definitions:
            raw = (args.get(f"a_{definition.name}") or "").strip()
            if not raw:
                continue
            extra.values[definition.name] = raw
            if applied >= MAX_ATTRIBUTE_FILTERS:
                extra.errors[definition.name] = "Too many attribute filters."
                continue
            try:
                query = query.where(attributes.filter_clause(definition, raw[:500]))
                applied += 1
            except ValueError as error:
                extra.errors[definition.name] = str(error)
    if form.status.data:
        query = query.where(ConfigurationItem.status.in_(form.status.data))
    if form.environment.data:
        query = query.where(ConfigurationItem.environment == form.environment.data)
    if form.q.data and form.q.data.strip():
        text = form.q.data.strip().lower()
        exact = or_(
            func.lower(ConfigurationItem.asset_tag) == text,
            func.lower(ConfigurationItem.serial_number) == text,
        )
        # The search index: name, class, identifiers, model, location, description.
        matching = search_query.matching_ids(text, "ci")
        query = query.where(
            exact if matching is None else or_(exact, ConfigurationItem.id.in_(matching))
        )
    order = SORTS.get(form.sort.data or "name", SORTS["name"])
    return query.order_by(*order, ConfigurationItem.id), extra
