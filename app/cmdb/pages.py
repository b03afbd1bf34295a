"""What the CMDB pages show, prepared in a bounded number of queries, and the translation of
submitted forms into service arguments (usernames and group ids to rows, ``attr_*`` inputs)."""

from __future__ import annotations

from typing import Any

from flask import render_template
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict
from wtforms import SelectChoice

from app import audit
from app.auth import services as account_services
from app.auth.models import Group, User, group_members
from app.cmdb import analysis, attributes, services, signals
from app.cmdb.forms import CIForm, RelateForm, RemoveRelationForm, RetireForm
from app.cmdb.models import (
    AttributeValue,
    CIClass,
    CIRelation,
    ConfigurationItem,
    RelationTypeRow,
)
from app.errors import Invalid
from app.extensions import db

MAX_OPEN_INCIDENTS = 20
MAX_UPSTREAM = 50
MAX_HISTORY = 50
MAX_ID = 2**31 - 1


def all_classes() -> list[CIClass]:
    return list(db.session.scalars(select(CIClass).order_by(CIClass.label)))


def class_choices(classes: list[CIClass], empty: str = "Any class") -> list[SelectChoice]:
    return [SelectChoice("", empty)] + [SelectChoice(str(c.id), c.label) for c in classes]


def group_choices() -> list[SelectChoice]:
    rows = db.session.execute(select(Group.id, Group.name).order_by(Group.name)).all()
    return [SelectChoice("", "—")] + [SelectChoice(str(i), n) for i, n in rows]


def relation_types() -> list[RelationTypeRow]:
    return list(db.session.scalars(select(RelationTypeRow).order_by(RelationTypeRow.name)))


def fields_from(form: CIForm, ci_class: CIClass) -> dict[str, Any]:
    """Service arguments from a validated CI form. :raise Invalid: unknown people or group."""
    errors: dict[str, str] = {}
    fields: dict[str, Any] = {
        "name": form.name.data,
        "status": form.status.data,
        "environment": form.environment.data or None,
        "criticality": int(form.criticality.data) if form.criticality.data else None,
        "description": form.description.data or "",
        "location": form.location.data or None,
        "users_count": form.users_count.data or 0,
        "min_up": form.min_up.data,
        "min_up_percent": form.min_up_percent.data,
    }
    for key, form_field in (("owner_id", form.owner), ("assigned_user_id", form.assigned_user)):
        username = (form_field.data or "").strip()
        if key == "assigned_user_id" and not ci_class.is_hardware and not username:
            continue
        person = account_services.get_user_by_username(username) if username else None
        if username and person is None:
            errors[form_field.name] = "No person has this username."
        fields[key] = person.id if person else None
    for key, form_field in (
        ("support_group_id", form.support_group),
        ("users_group_id", form.users_group),
    ):
        group_id = (form_field.data or "").strip()
        group = _group(group_id)
        if group_id and group is None:
            errors[form_field.name] = "Unknown group: choose one from the list."
        fields[key] = group.id if group else None
    if ci_class.is_hardware:
        fields.update(
            asset_tag=form.asset_tag.data or None,
            serial_number=form.serial_number.data or None,
            model=form.model.data or None,
            warranty_end=form.warranty_end.data,
        )
    if errors:
        raise Invalid(errors)
    return fields


def _group(group_id: str) -> Group | None:
    """The group a select submitted (an id in the database's integer range), or ``None``."""
    if not (group_id.isascii() and group_id.isdecimal() and int(group_id) <= MAX_ID):
        return None
    return db.session.get(Group, int(group_id))


def submitted_attributes(data: MultiDict, ci_class: CIClass) -> dict[str, str]:
    """The ``attr_<name>`` inputs of the class's attributes (others are not read)."""
    return {d.name: data.get(f"attr_{d.name}", "") for d in attributes.definitions_for(ci_class)}


def fill_form(form: CIForm, ci: ConfigurationItem) -> None:
    form.version.data = str(ci.version)
    form.name.data = ci.name
    form.status.data = ci.status.value
    form.environment.data = ci.environment or ""
    form.criticality.data = str(ci.criticality or "")
    form.description.data = ci.description
    form.owner.data = ci.owner.username if ci.owner else ""
    form.support_group.data = str(ci.support_group_id or "")
    form.users_group.data = str(ci.users_group_id or "")
    form.location.data = ci.location
    form.users_count.data = ci.users_count
    form.min_up.data, form.min_up_percent.data = ci.min_up, ci.min_up_percent
    form.asset_tag.data, form.serial_number.data = ci.asset_tag, ci.serial_number
    form.model.data, form.warranty_end.data = ci.model, ci.warranty_end
    form.assigned_user.data = ci.assigned_user.username if ci.assigned_user else ""


def attribute_rows(ci: ConfigurationItem) -> list[tuple[Any, Any]]:
    """``(definition, stored value)`` for every attribute of the CI's class (one query)."""
    stored = {
        row.definition_id: attributes.stored_value(row)
        for row in db.session.scalars(select(AttributeValue).where(AttributeValue.ci_id == ci.id))
    }
    return [(d, stored.get(d.id)) for d in attributes.definitions_for(ci.ci_class)]


def render_form(
    ci_class: CIClass,
    form: CIForm,
    *,
    ci: ConfigurationItem | None = None,
    values: dict[str, Any] | None = None,
    error: Invalid | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    form.support_group.choices = form.users_group.choices = group_choices()
    definitions = attributes.definitions_for(ci_class)
    if values is None:
        values = {}
        if ci is not None:
            values = {
                d.name: ("" if v is None else attributes.display(d, v))
                for d, v in attribute_rows(ci)
            }
            for d, v in attribute_rows(ci):
                if v is not None and d.type.value == "boolean":
                    values[d.name] = "yes" if v else "no"
    attr_errors = {}
    if error is not None:
        attr_errors = {
            k.removeprefix("attr_"): " ".join(v)
            for k, v in error.field_errors.items()
            if k.startswith("attr_")
        }
    page = render_template(
        "cmdb/form.html",
        form=form,
        ci=ci,
        ci_class=ci_class,
        definitions=definitions,
        values=values,
        attr_errors=attr_errors,
    )
    return page, status


def open_incidents(ci: ConfigurationItem) -> list[Any]:
    """The CI's open incidents, from whichever domain answers :data:`signals.ci_open_incidents`
    (the CMDB never imports the incidents domain)."""
    answers = signals.ci_open_incidents.send(ci, limit=MAX_OPEN_INCIDENTS)
    return [incident for _receiver, found in answers for incident in found]


REFERENCES = {
    "owner_id": "owner",
    "assigned_user_id": "assigned to",
    "support_group_id": "group",
    "users_group_id": "users group",
}
GROUP_REFERENCES = ("support_group_id", "users_group_id")


def history(ci: ConfigurationItem) -> list[tuple[audit.AuditEvent, list[tuple[str, Any, Any]]]]:
    """The CI's latest audit events, each with its changes as ``(field, old, new)`` for people:
    people and groups by name instead of id (two queries, whatever the number of events)."""
    events = list(
        db.session.scalars(
            select(audit.AuditEvent)
            .where(audit.AuditEvent.object_type == "ci", audit.AuditEvent.object_id == ci.id)
            .order_by(audit.AuditEvent.id.desc())
            .limit(MAX_HISTORY)
        )
    )
    changes = [
        (field, pair)
        for event in events
        for field, pair in event.changes.items()
        if isinstance(pair, list) and len(pair) == 2
    ]
    wanted = {"user": set(), "group": set()}
    for field, pair in changes:
        if field in REFERENCES:
            kind = "group" if field in GROUP_REFERENCES else "user"
            wanted[kind].update(v for v in pair if isinstance(v, int))
    names: dict[tuple[str, int], str] = {}
    if wanted["user"]:
        rows = db.session.execute(
            select(User.id, User.display_name).where(User.id.in_(wanted["user"]))
        )
        names.update({("user", i): n for i, n in rows})
    if wanted["group"]:
        rows = db.session.execute(select(Group.id, Group.name).where(Group.id.in_(wanted["group"])))
        names.update({("group", i): n for i, n in rows})

    def readable(field: str, value: Any) -> Any:
        if field in REFERENCES and isinstance(value, int):
            kind = "group" if field in GROUP_REFERENCES else "user"
            return names.get((kind, value), f"#{value} (deleted)")
        return value

    result = []
    for event in events:
        lines = []
        for field, pair in event.changes.items():
            if not (isinstance(pair, list) and len(pair) == 2):
                continue
            label = REFERENCES.get(field, field).replace("attr:", "").replace("_", " ")
            lines.append((label, readable(field, pair[0]), readable(field, pair[1])))
        result.append((event, lines))
    return result


def active_members(group_id: int | None) -> int | None:
    """How many active people a group has (the users a CI's users group stands for)."""
    if group_id is None:
        return None
    return db.session.scalar(
        select(func.count())
        .select_from(group_members)
        .join(User, User.id == group_members.c.user_id)
        .where(group_members.c.group_id == group_id, User.is_active)
    )


def render_detail(
    ci: ConfigurationItem, *, status: int = 200, relate_form: RelateForm | None = None
) -> ResponseReturnValue:
    relations = services.relations_of(ci)
    outgoing = [r for r in relations if r.source_id == ci.id]
    incoming = [r for r in relations if r.target_id == ci.id]
    relate = relate_form or RelateForm(formdata=None)
    relate.type.choices = [
        SelectChoice(t.name, f"{t.forward} / {t.reverse}") for t in relation_types()
    ]
    retire = RetireForm(formdata=None)
    retire.version.data = str(ci.version)
    page = render_template(
        "cmdb/detail.html",
        ci=ci,
        attributes=[(d, attributes.display(d, v)) for d, v in attribute_rows(ci)],
        outgoing=outgoing,
        incoming=incoming,
        incidents=open_incidents(ci),
        upstream=analysis.upstream_of(ci.id, MAX_UPSTREAM),
        impact=analysis.impact_of(ci.id),
        history=history(ci),
        users_group_members=active_members(ci.users_group_id),
        relate_form=relate,
        remove_form=RemoveRelationForm(formdata=None),
        retire_form=retire,
    )
    return page, status


def find_ci_by_name(name: str) -> ConfigurationItem | None:
    """The CI with this name (case-insensitive); the oldest when CIs of several classes share
    it. :raise Invalid: no CI has this name."""
    found = db.session.scalars(
        select(ConfigurationItem)
        .where(ConfigurationItem.name_key == func.lower((name or "").strip()))
        .order_by(ConfigurationItem.id)
        .limit(5)
    ).all()
    if not found:
        raise Invalid({"other": _("No CI is named “%(name)s”.", name=(name or "").strip()[:200])})
    return found[0]


def relation_of(ci: ConfigurationItem, relation_id: str) -> CIRelation | None:
    if not relation_id.isdecimal():
        return None
    relation = db.session.get(CIRelation, int(relation_id))
    if relation is None or ci.id not in (relation.source_id, relation.target_id):
        return None
    return relation
