"""Catalog services: categories, items, versioned forms, who may order, listing and search.

Services check rules, write the audit trail and flush; the caller commits. Every check of an
item's values is gathered into one ``Invalid`` (per field), so a form shows all its problems.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import selectinload

from app import audit
from app.auth.models import Group, User, group_members
from app.errors import Forbidden, Invalid, NotFound, check_version
from app.extensions import db
from app.requests.approvals import rules as approval_rules
from app.requests.catalog import variables
from app.requests.catalog.ci_offers import offer_problems
from app.requests.common import active_user
from app.requests.fulfilment import stages
from app.requests.models import (
    Audience,
    Automation,
    CatalogCategory,
    CatalogItem,
    FormVersion,
    catalog_item_groups,
)

ITEM_FIELDS = (
    "name",
    "short_description",
    "description",
    "category_id",
    "audience",
    "group_ids",
    "delivery_days",
    "fulfilment_group_id",
    "service_owner_id",
    "approval_policy",
    "task_template",
    "automation",
    "automation_group_id",
    "is_active",
    "translations",
)
# The text an administrator may give in other languages, with its longest length.
ITEM_TEXTS = {"name": 150, "short_description": 300, "description": 20_000}
CATEGORY_TEXTS = {"name": 100, "description": 2000}


def clean_translations(
    raw: Mapping[str, Mapping[str, Any]] | None, limits: Mapping[str, int]
) -> tuple[dict[str, dict[str, str]] | None, dict[str, str]]:
    """``{"sv": {"name": "…"}}`` trimmed, empty texts left out (None when nothing is left),
    and the problems keyed ``<field>_<language>`` (``name_sv``): a text over its limit."""
    clean: dict[str, dict[str, str]] = {}
    problems: dict[str, str] = {}
    for language, texts in (raw or {}).items():
        for field, limit in limits.items():
            text = str((texts or {}).get(field) or "").strip()
            if field == "name":
                text = " ".join(text.split())
            if len(text) > limit:
                problems[f"{field}_{language}"] = f"Keep it under {limit} characters."
            elif text:
                clean.setdefault(str(language), {})[field] = text
    return clean or None, problems


# -- categories -----------------------------------------------------------------------------


def save_category(
    category: CatalogCategory | None,
    *,
    actor: Any,
    name: str,
    description: str = "",
    position: int = 0,
    translations: Mapping[str, Mapping[str, Any]] | None = None,
) -> CatalogCategory:
    """Create a category (``category`` None) or rename and describe one; ``translations``
    (``{"sv": {"name": …, "description": …}}``) replaces its other languages' texts (None:
    keeps them).

    :raise Invalid: no name, a name another category has, a translation too long, or an
        out-of-range position.
    """
    name = " ".join((name or "").split())
    if not name or len(name) > 100:
        raise Invalid({"name": _("Give the category a name of at most 100 characters.")})
    clash = db.session.scalar(
        select(CatalogCategory).where(func.lower(CatalogCategory.name) == name.lower())
    )
    if clash is not None and clash is not category:
        raise Invalid({"name": _("A category named “%(name)s” already exists.", name=clash.name)})
    if not isinstance(position, int) or not -10_000 <= position <= 10_000:
        raise Invalid({"position": _("The position is a number from -10000 to 10000.")})
    if translations is not None:
        texts, problems = clean_translations(translations, CATEGORY_TEXTS)
        if problems:
            raise Invalid(problems)
    before = {} if category is None else {"name": category.name}
    if category is None:
        category = CatalogCategory(name=name)
        db.session.add(category)
    category.name, category.description, category.position = name, description.strip(), position
    if translations is not None:
        category.translations = texts
    db.session.flush()
    audit.record(
        actor, "catalog_category", category.id, "saved", audit.diff(before, {"name": name})
    )
    return category


def categories() -> list[CatalogCategory]:
    return list(
        db.session.scalars(
            select(CatalogCategory).order_by(CatalogCategory.position, CatalogCategory.name)
        )
    )


def move_category(category: CatalogCategory, direction: str, *, actor: Any) -> None:
    """Move a category one place up or down: positions become 10, 20, 30… in the new order."""
    ordered = categories()
    index = ordered.index(category)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(ordered):
        ordered[index], ordered[other] = ordered[other], ordered[index]
    for position, row in enumerate(ordered, start=1):
        if row.position != position * 10:
            save_category(
                row, actor=actor, name=row.name, description=row.description, position=position * 10
            )


# -- items ----------------------------------------------------------------------------------


def _assignment_group_ids() -> frozenset[int]:
    return frozenset(db.session.scalars(select(Group.id).where(Group.is_assignment_group)))


def _int_or_none(value: Any) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(str(value))
    except ValueError:
        return -1  # never an id: reported as "choose from the list"


def _clean_item(values: Mapping[str, Any], item: CatalogItem | None) -> dict[str, Any]:
    """The item's new values, checked. :raise Invalid: every problem found, per field."""
    problems: dict[str, str] = {}
    clean: dict[str, Any] = {}
    if "name" in values:
        name = " ".join(str(values["name"] or "").split())
        clash = db.session.scalar(
            select(CatalogItem).where(func.lower(CatalogItem.name) == name.lower())
        )
        if not name or len(name) > 150:
            problems["name"] = "Give the item a name of at most 150 characters."
        elif clash is not None and clash is not item:
            problems["name"] = f"An item named {clash.name!r} already exists."
        clean["name"] = name
    for field, limit in (("short_description", 300), ("description", 20_000)):
        if field in values:
            clean[field] = str(values[field] or "").strip()
            if len(clean[field]) > limit:
                problems[field] = f"Keep it under {limit} characters."
    if "category_id" in values:
        clean["category_id"] = _int_or_none(values["category_id"])
        if clean["category_id"] is not None and not db.session.get(
            CatalogCategory, max(clean["category_id"], 0)
        ):
            problems["category_id"] = "Choose a category from the list."
    if "audience" in values:
        try:
            clean["audience"] = Audience(str(values["audience"]))
        except ValueError:
            problems["audience"] = "Choose who may order the item."
    if "group_ids" in values:
        ids = {_int_or_none(v) for v in values["group_ids"] or ()} - {None}
        groups = list(db.session.scalars(select(Group).where(Group.id.in_(ids)))) if ids else []
        if len(groups) != len(ids):
            problems["group_ids"] = "Choose groups from the list."
        clean["groups"] = sorted(groups, key=lambda g: g.name)
    if "delivery_days" in values:
        days = _int_or_none(values["delivery_days"])
        if days is None or not 0 <= days <= 365:
            problems["delivery_days"] = "The estimated delivery is 0 to 365 business days."
        clean["delivery_days"] = days
    assignment_groups = _assignment_group_ids()
    if "fulfilment_group_id" in values:
        clean["fulfilment_group_id"] = _int_or_none(values["fulfilment_group_id"])
        if clean["fulfilment_group_id"] not in assignment_groups:
            problems["fulfilment_group_id"] = "Choose the assignment group that fulfils it."
    if "service_owner_id" in values:
        clean["service_owner_id"] = _int_or_none(values["service_owner_id"])
        if clean["service_owner_id"] is not None and not active_user(clean["service_owner_id"]):
            problems["service_owner_id"] = "Choose an active person as the service owner."
    all_groups = frozenset(db.session.scalars(select(Group.id)))
    for field, parse, to_json in (
        ("approval_policy", approval_rules.parse_policy, approval_rules.policy_to_json),
        ("task_template", stages.parse_template, stages.template_to_json),
    ):
        if field in values:
            known = all_groups if field == "approval_policy" else assignment_groups
            try:
                clean[field] = to_json(parse(values[field] or [], known))
            except (approval_rules.PolicyInvalid, stages.TemplateInvalid) as error:
                problems |= {f"{field}.{k}": v for k, v in error.problems.items()}
    if "automation" in values:
        try:
            clean["automation"] = Automation(values["automation"]) if values["automation"] else None
        except ValueError:
            problems["automation"] = "Choose an automation from the list."
    if "automation_group_id" in values:
        clean["automation_group_id"] = _int_or_none(values["automation_group_id"])
        if clean["automation_group_id"] not in (None, *all_groups):
            problems["automation_group_id"] = "Choose the directory group from the list."
    if "is_active" in values:
        clean["is_active"] = bool(values["is_active"])
    if "translations" in values:
        clean["translations"], wrong = clean_translations(values["translations"], ITEM_TEXTS)
        problems |= wrong
    if problems:
        raise Invalid(problems)
    return clean


def _apply(item: CatalogItem, clean: dict[str, Any]) -> dict[str, list[Any]]:
    changes: dict[str, list[Any]] = {}
    groups = clean.pop("groups", None)
    for field, new in clean.items():
        old = getattr(item, field)
        if old != new:
            changes[field] = [old, new]
            setattr(item, field, new)
    if groups is not None and [g.id for g in item.groups] != [g.id for g in groups]:
        changes["groups"] = [[g.name for g in item.groups], [g.name for g in groups]]
        item.groups = groups
    return changes


def _jsonable(changes: dict[str, list[Any]]) -> dict[str, list[Any]]:
    return {k: [getattr(v, "value", v) for v in pair] for k, pair in changes.items()}


def create_item(
    *,
    actor: Any,
    name: str,
    fulfilment_group_id: int,
    variables: Sequence[Mapping[str, Any]] = (),
    **values: Any,
) -> CatalogItem:
    """Add a catalog item with its first form version (``variables``, possibly empty).

    :raise Invalid: a value breaks a rule (every problem, per field; form problems under
        ``variables.<i>.<field>``).
    :raise TypeError: an unknown field.
    """
    unknown = set(values) - set(ITEM_FIELDS)
    if unknown:
        raise TypeError(f"unknown catalog item fields: {sorted(unknown)}")
    values = {"audience": Audience.EVERYONE.value, "delivery_days": 5, **values}
    clean = _clean_item({"name": name, "fulfilment_group_id": fulfilment_group_id, **values}, None)
    definitions = _parse_variables(variables)
    item = CatalogItem(name=clean["name"], fulfilment_group_id=clean["fulfilment_group_id"])
    changes = _apply(item, clean)
    db.session.add(item)
    db.session.flush()
    _add_version(item, definitions, actor)
    audit.record(actor, "catalog_item", item.id, "created", _jsonable(changes))
    return item


def update_item(
    item: CatalogItem, *, actor: Any, expected_version: Any = None, **values: Any
) -> dict[str, list[Any]]:
    """Change an item's settings; returns the audited changes. Requests already made keep
    the policy and template they were ordered with.

    :raise Conflict: the item changed since ``expected_version`` was read.
    :raise Invalid: a value breaks a rule.
    """
    check_version(item, expected_version, f"The item {item.name}")
    unknown = set(values) - set(ITEM_FIELDS)
    if unknown:
        raise TypeError(f"unknown catalog item fields: {sorted(unknown)}")
    changes = _apply(item, _clean_item(values, item))
    if changes:
        audit.record(actor, "catalog_item", item.id, "updated", _jsonable(changes))
        db.session.flush()
    return changes


# -- forms ----------------------------------------------------------------------------------


def _parse_variables(raw: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The checked definitions, CI offers included (their class and attribute must exist).

    :raise Invalid: per ``variables.<i>.<field>``.
    """
    try:
        parsed = variables.parse_form(raw, _)
    except variables.DefinitionInvalid as error:
        raise Invalid(error.problems, _("The form has problems: see each variable.")) from None
    problems = offer_problems(parsed)
    if problems:
        raise Invalid(problems, _("The form has problems: see each variable."))
    return [v.to_json() for v in parsed]


def _add_version(item: CatalogItem, definitions: list[dict[str, Any]], actor: Any) -> FormVersion:
    current = item.form
    version = FormVersion(
        item=item,
        number=(current.number + 1) if current else 1,
        variables=definitions,
        created_by_id=getattr(actor, "id", None),
    )
    db.session.add(version)
    db.session.flush()
    db.session.expire(item, ["forms"])
    return version


def save_form(
    item: CatalogItem,
    definitions: Sequence[Mapping[str, Any]],
    *,
    actor: Any,
    expected_version: Any = None,
) -> FormVersion:
    """Save the item's form as a new version (the current one when nothing changed).
    ``expected_version`` is the form version number the editor started from.

    :raise Invalid: a variable definition breaks a rule (keys ``variables.<i>.<field>``).
    :raise Conflict: someone saved another version since ``expected_version``.
    """
    current = item.form
    if expected_version not in (None, "") and current is not None:
        check_version(_Numbered(current.number), expected_version, f"The form of {item.name}")
    clean = _parse_variables(definitions)
    if current is not None and current.variables == clean:
        return current
    version = _add_version(item, clean, actor)
    audit.record(actor, "catalog_item", item.id, "form_saved", {"form": [None, version.number]})
    return version


class _Numbered:
    def __init__(self, number: int) -> None:
        self.version = number


def form_of(version: FormVersion) -> tuple[variables.Variable, ...]:
    """The variables of a stored form version (stored versions were checked when saved)."""
    return variables.parse_form(version.variables)


# -- who may order, listing -----------------------------------------------------------------


def may_order(user: User, item: CatalogItem) -> bool:
    """An active item with a form, open to everyone or to a group the person is in."""
    if not item.is_active or item.form is None:
        return False
    if item.audience == Audience.EVERYONE:
        return True
    mine = {g.id for g in user.groups}
    return any(g.id in mine for g in item.groups)


def orderable_item(user: User, item_id: int) -> CatalogItem:
    """An item ``user`` may order now, by id.

    :raise NotFound: no such active item (or it has no form yet).
    :raise Forbidden: the item is not open to ``user``.
    """
    item = db.session.get(CatalogItem, item_id) if 0 < item_id < 2**63 else None
    if item is None or not item.is_active or item.form is None:
        raise NotFound(_("There is no such item in the catalog."))
    if not may_order(user, item):
        raise Forbidden(
            _("%(name)s is not open to you: ask your manager or the service desk.", name=item.name)
        )
    return item


def may_order_clause(user: User) -> ColumnElement[bool]:
    """The condition :func:`may_order` puts on an item, as SQL (active, with a form, open to
    everyone or to a group of ``user``'s)."""
    mine = select(group_members.c.group_id).where(group_members.c.user_id == user.id)
    allowed = or_(
        CatalogItem.audience == Audience.EVERYONE,
        CatalogItem.id.in_(
            select(catalog_item_groups.c.item_id).where(catalog_item_groups.c.group_id.in_(mine))
        ),
    )
    return and_(CatalogItem.is_active, allowed, CatalogItem.forms.any())


def orderable_items(
    user: User, *, search: str = "", category_id: int | None = None
) -> list[CatalogItem]:
    """The active items ``user`` may order, by category and name; ``search`` matches words in
    the name or descriptions (case-insensitive, every word must match)."""
    query = (
        select(CatalogItem)
        .where(may_order_clause(user))
        .options(selectinload(CatalogItem.forms))
        .outerjoin(CatalogCategory, CatalogCategory.id == CatalogItem.category_id)
        .order_by(CatalogCategory.position, CatalogCategory.name, CatalogItem.name)
    )
    if category_id is not None:
        query = query.where(CatalogItem.category_id == category_id)
    for word in (search or "").split()[:8]:
        word = word.lower()[:100]
        query = query.where(
            or_(
                *(
                    func.lower(column).contains(word, autoescape=True)
                    for column in (
                        CatalogItem.name,
                        CatalogItem.short_description,
                        CatalogItem.description,
                    )
                )
            )
        )
    return list(db.session.scalars(query).unique())
