"""Incident workflow settings administrators change (the one-row ``incident_settings``), and
the routing rules that pick a new incident's assignment group.

Today one workflow choice: whether assigning a new incident to a person moves it to In
progress. Saving it is audited (object type ``incident_settings``). Services flush; the caller
commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import delete, select

from app import audit
from app.auth.models import Group
from app.errors import Invalid, NotFound, check_version
from app.extensions import db
from app.i18n.content import with_translation
from app.incidents.models import Category, IncidentSettings, RoutingRule

SETTINGS_ID = 1


def current_settings() -> IncidentSettings:
    """The settings row; a transient one with the defaults if the row is missing."""
    row = db.session.get(IncidentSettings, SETTINGS_ID)
    if row is None:  # pragma: no cover - the migration seeds the row
        row = IncidentSettings(id=SETTINGS_ID, assignment_starts_work=True, version=1)
    return row


def assignment_starts_work() -> bool:
    return bool(current_settings().assignment_starts_work)


def save_settings(
    *, actor: Any, assignment_starts_work: bool, expected_version: Any = None
) -> dict[str, list[Any]]:
    """Save the workflow choices.

    :raise Conflict: the settings changed since the form was loaded.
    :return: the changes as ``{field: [old, new]}`` (empty when nothing changed).
    """
    row = current_settings()
    check_version(row, expected_version, _("The incident settings"))
    changes = audit.diff(
        {"assignment_starts_work": bool(row.assignment_starts_work)},
        {"assignment_starts_work": bool(assignment_starts_work)},
    )
    if not changes:
        return {}
    row.assignment_starts_work = bool(assignment_starts_work)
    db.session.add(row)
    db.session.flush()
    audit.record(actor, "incident_settings", SETTINGS_ID, "updated", changes)
    return changes


def add_routing_rules(
    group: Group, ci_ids: Sequence[int | None], **conditions: str | None
) -> list[RoutingRule]:
    """Add a rule sending incidents that meet ``conditions`` (category, subcategory, affected
    service) to ``group``, at the end of the list: one rule per CI in ``ci_ids`` (a name CIs
    of several classes share), or one rule without a CI."""
    last = db.session.scalar(select(RoutingRule.position).order_by(RoutingRule.position.desc()))
    rules = [
        RoutingRule(position=(last or 0) + 10, group_id=group.id, ci_id=ci_id, **conditions)
        for ci_id in ci_ids or [None]
    ]
    db.session.add_all(rules)
    db.session.flush()
    return rules


def delete_routing_rule(rule_id: int) -> bool:
    """Remove a routing rule; False if it was already gone."""
    deleted = db.session.execute(delete(RoutingRule).where(RoutingRule.id == rule_id))
    return bool(deleted.rowcount)  # type: ignore[attr-defined]


MAX_CATEGORY_NAME = 80


def categories() -> list[Category]:
    """Every category, each top-level one followed by its subcategories, by name."""
    top = db.session.scalars(
        select(Category).where(Category.parent_id.is_(None)).order_by(Category.name)
    ).all()
    return [row for category in top for row in (category, *category.children)]


def name_category(category_id: int, names: dict[str, str], *, actor: Any) -> bool:
    """Set a category's name in other languages (``{"sv": "Nätverk"}``; an empty name removes
    that language's, so readers see the English name). Audited (object type
    ``incident_category``).

    :raise NotFound: no such category.
    :raise Invalid: a name is too long.
    :return: whether anything changed.
    """
    category = db.session.get(Category, category_id)
    if category is None:
        raise NotFound(_("There is no such category."))
    too_long = [lang for lang, name in names.items() if len(name.strip()) > MAX_CATEGORY_NAME]
    if too_long:
        raise Invalid(
            {
                f"name-{lang}": _("Keep it under %(limit)s characters.", limit=MAX_CATEGORY_NAME)
                for lang in too_long
            }
        )
    translations = category.translations or {}
    for language, name in names.items():
        translations = with_translation(translations, language, "name", name)
    changes = audit.diff(
        {"translations": category.translations or {}}, {"translations": translations}
    )
    if not changes:
        return False
    category.translations = translations or None
    db.session.flush()
    audit.record(actor, "incident_category", category.id, "updated", changes)
    return True
