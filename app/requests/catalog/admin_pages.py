"""What the catalog administration pages show: choices, the rows of the list editors with the
services' errors put on the right row, the form's version history, and "what changed" when an
edit comes too late (409)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import SelectChoice

from app.audit import AuditEvent
from app.auth.models import Group, User
from app.cmdb.models import CIClass
from app.errors import Invalid
from app.extensions import db
from app.forms import apply_errors
from app.requests import services
from app.requests.models import CatalogItem, FormVersion, RequestItem
from app.ui import format_datetime

# The services' field names for the item settings, as the settings form names them.
ITEM_FIELDS = {
    "category_id": "category",
    "group_ids": "groups",
    "fulfilment_group_id": "fulfilment_group",
    "service_owner_id": "service_owner",
    "automation_group_id": "automation_group",
}
ROW_FIELDS = {"group_id": "group"}


def category_choices() -> list[SelectChoice]:
    return [SelectChoice("", "—")] + [
        SelectChoice(str(c.id), c.name) for c in services.categories()
    ]


def group_choices(*, queues_only: bool, empty: str) -> list[SelectChoice]:
    query = select(Group.id, Group.name).order_by(Group.name)
    if queues_only:
        query = query.where(Group.is_assignment_group)
    rows = db.session.execute(query).all()
    return [SelectChoice("", empty)] + [SelectChoice(str(i), n) for i, n in rows]


def ci_class_choices() -> list[SelectChoice]:
    rows = db.session.execute(select(CIClass.name, CIClass.label).order_by(CIClass.label)).all()
    return [SelectChoice("", "Any class")] + [SelectChoice(n, f"{lbl} ({n})") for n, lbl in rows]


def put_item_errors(form: FlaskForm, error: Invalid) -> None:
    renamed = {ITEM_FIELDS.get(k, k): v for k, v in error.field_errors.items()}
    apply_errors(form, Invalid(renamed, error.message))


def put_row_errors(form: FlaskForm, rows_name: str, prefix: str, error: Invalid) -> None:
    """Put ``<prefix>.<i>.<field>`` errors on row ``i``'s field (or on the row when the field
    is not on it); other keys become errors of the whole form."""
    entries = getattr(form, rows_name).entries
    for key, messages in error.field_errors.items():
        parts = key[len(prefix) + 1 :].split(".") if key.startswith(prefix + ".") else []
        index = int(parts[0]) if parts and parts[0].isdecimal() else -1
        if not 0 <= index < len(entries):
            form.form_errors.extend(messages)
            continue
        row = entries[index].form
        name = ROW_FIELDS.get(parts[1], parts[1]) if len(parts) > 1 else ""
        target = row._fields.get(name)
        if target is not None:
            target.errors = list(target.errors) + messages
        else:
            row.form_errors.extend(messages)
    if not form.form_errors and not error.field_errors:
        form.form_errors.append(error.message)


def row_errors(form: FlaskForm, rows_name: str) -> bool:
    """Whether any row has an error (shown next to it)."""
    return any(
        entry.form.form_errors or any(f.errors for f in entry.form)
        for entry in getattr(form, rows_name).entries
    )


# -- conflicts ------------------------------------------------------------------------------


def latest_item_change(item: CatalogItem, user: Any) -> str:
    """ "Ada changed delivery days, approval policy (23 Nov 2026, 14:02).": the last change
    someone else saved, for a conflict message."""
    event = db.session.scalar(
        select(AuditEvent)
        .where(
            AuditEvent.object_type == "catalog_item",
            AuditEvent.object_id == item.id,
            AuditEvent.action.in_(("updated", "created")),
            AuditEvent.actor_id.is_distinct_from(user.id),
        )
        .order_by(AuditEvent.id.desc())
        .limit(1)
    )
    if event is None:
        return ""
    who = event.actor.display_name if event.actor else "Someone"
    fields = ", ".join(f.replace("_", " ") for f in event.changes) or "the item"
    return f"{who} changed {fields} ({format_datetime(event.created_at)})."


def form_changes(item: CatalogItem, since: Any) -> str:
    """What the versions saved after version ``since`` changed, for a conflict message."""
    try:
        base = int(str(since))
    except ValueError:
        base = 0
    versions = {v.number: v for v in item.forms}
    current = item.form
    if current is None or current.number <= base:
        return ""
    old = {v["name"]: v for v in (versions[base].variables if base in versions else [])}
    new = {v["name"]: v for v in current.variables}
    parts = []
    for verb, names in (
        ("added", [n for n in new if n not in old]),
        ("removed", [n for n in old if n not in new]),
        ("changed", [n for n in new if n in old and new[n] != old[n]]),
    ):
        if names:
            labels = [(new.get(n) or old[n]).get("label", n) for n in names]
            parts.append(f"{verb} {', '.join(labels)}")
    author = db.session.get(User, current.created_by_id) if current.created_by_id else None
    who = author.display_name if author else "Someone"
    what = "; ".join(parts) or "no variable"
    return f"{who} saved version {current.number} ({format_datetime(current.created_at)}): {what}."


# -- version history ------------------------------------------------------------------------


def form_history(item: CatalogItem) -> list[dict[str, Any]]:
    """Every form version, newest first, with its author and how many request items were
    ordered with it (they keep it whatever the form becomes)."""
    versions: Sequence[FormVersion] = item.forms
    ids = [v.id for v in versions]
    used: Mapping[int, int] = dict(
        db.session.execute(
            select(RequestItem.form_version_id, func.count())
            .where(RequestItem.form_version_id.in_(ids))
            .group_by(RequestItem.form_version_id)
        ).all()
        if ids
        else []
    )
    author_ids = {v.created_by_id for v in versions if v.created_by_id}
    authors = (
        {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(author_ids)))}
        if author_ids
        else {}
    )
    return [
        {
            "version": v,
            "author": authors.get(v.created_by_id),
            "used": used.get(v.id, 0),
            "variables": services.form_of(v),
        }
        for v in versions
    ]
