"""``/api/v1/cis``, ``/api/v1/relations``, ``/api/v1/ci-classes`` and ``/api/v1/cmdb``: the
configuration database as NetBox's API offers it: CIs with their class attributes, relations
and classes (create, read, update, delete), and the impact engine's answer for a set of CIs.

Reading is for IT staff (``cmdb.browse``), changing for administrators (``cmdb.manage``), as on
the CMDB pages. Every write calls the CMDB services (audit, revision bump, the same checks as
the forms): a CI that still has relations cannot be deleted (409 naming them), a stale
``If-Match`` is a 412. Relations have no version (they are created and deleted, never edited),
so deleting one needs no ``If-Match``.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import Response, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from app.api import etags, scopes
from app.api.auth import operation
from app.api.pagination import PageArgs, page_of
from app.api.resources.common import INT_ID, person, respond
from app.api.schemas import GroupRef, Input, PersonRef, UTCDateTime, page_schema
from app.api.spec import Blueprint
from app.auth.models import Group, User
from app.cmdb import analysis, history, pages, services
from app.cmdb.classes import services as classes
from app.cmdb.filters import SORTS, CIFilterForm, ci_query
from app.cmdb.graph.vocabulary import Lifecycle
from app.cmdb.impact.reference import ImpactResult, State
from app.cmdb.models import CRITICALITY, ENVIRONMENTS, CIClass, CIRelation, ConfigurationItem
from app.errors import Invalid, NotFound
from app.extensions import db

AREA = scopes.add_area("cmdb", "The CMDB: CIs, relations, classes, impact")
READ, WRITE = f"{AREA}:read", f"{AREA}:write"
MAX_AFFECTED = 1000  # affected CIs listed in an impact answer (all are counted)

blp = Blueprint(
    "cmdb_api",
    __name__,
    description="Configuration items, their relations and classes, and what a failure hits.",
)


# -- schemas --------------------------------------------------------------------------------


class CIClassRef(ma.Schema):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    label = ma.fields.String(required=True)


class CISchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    ci_class = ma.fields.Nested(CIClassRef, required=True, data_key="class")
    status = ma.fields.String(required=True, validate=ma.validate.OneOf(list(Lifecycle)))
    environment = ma.fields.String(allow_none=True)
    criticality = ma.fields.Integer(allow_none=True)
    description = ma.fields.String(required=True)
    owner = ma.fields.Nested(PersonRef, allow_none=True)
    support_group = ma.fields.Nested(GroupRef, allow_none=True)
    location = ma.fields.String(allow_none=True)
    asset_tag = ma.fields.String(allow_none=True)
    serial_number = ma.fields.String(allow_none=True)
    model = ma.fields.String(allow_none=True)
    warranty_end = ma.fields.Date(allow_none=True)
    assigned_user = ma.fields.Nested(PersonRef, allow_none=True)
    users_count = ma.fields.Integer(required=True)
    users_group = ma.fields.Nested(GroupRef, allow_none=True)
    min_up = ma.fields.Integer(allow_none=True)
    min_up_percent = ma.fields.Integer(allow_none=True)
    attributes = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.Raw(allow_none=True),
        required=True,
        metadata={"description": "The class's attributes by name (decimals as text)"},
    )
    created_at = UTCDateTime(allow_none=True)
    updated_at = UTCDateTime(allow_none=True)
    version = ma.fields.Integer(required=True)


CIPage = page_schema(CISchema, "CIPage")


class CIFilters(PageArgs, Input):
    q = ma.fields.String(
        validate=ma.validate.Length(min=1, max=200),
        metadata={"description": "Words of the name, class, identifiers, description"},
    )
    ci_class = ma.fields.String(
        data_key="class",
        validate=ma.validate.Length(min=1, max=60),
        metadata={"description": "A class name: its CIs and those of its subclasses"},
    )
    status = ma.fields.List(
        ma.fields.String(validate=ma.validate.OneOf(list(Lifecycle))), load_default=list
    )
    environment = ma.fields.String(validate=ma.validate.OneOf(ENVIRONMENTS))
    sort = ma.fields.String(load_default="name", validate=ma.validate.OneOf(list(SORTS)))


class CIFields(Input):
    """The fields of a CI a client may set (all optional on a change)."""

    name = ma.fields.String(validate=ma.validate.Length(min=1, max=200))
    status = ma.fields.String(validate=ma.validate.OneOf(list(Lifecycle)))
    environment = ma.fields.String(allow_none=True, validate=ma.validate.OneOf(ENVIRONMENTS))
    criticality = ma.fields.Integer(allow_none=True, validate=ma.validate.OneOf(list(CRITICALITY)))
    description = ma.fields.String(validate=ma.validate.Length(max=20_000))
    owner = ma.fields.Integer(
        allow_none=True, validate=INT_ID, metadata={"description": "A person's id"}
    )
    support_group = ma.fields.Integer(allow_none=True, validate=INT_ID)
    location = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=200))
    asset_tag = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=80))
    serial_number = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=120))
    model = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=120))
    warranty_end = ma.fields.Date(allow_none=True)
    assigned_user = ma.fields.Integer(allow_none=True, validate=INT_ID)
    users_count = ma.fields.Integer(validate=ma.validate.Range(min=0, max=2**31 - 1))
    users_group = ma.fields.Integer(allow_none=True, validate=INT_ID)
    min_up = ma.fields.Integer(allow_none=True, validate=ma.validate.Range(min=1, max=2**31 - 1))
    min_up_percent = ma.fields.Integer(allow_none=True, validate=ma.validate.Range(min=1, max=100))
    attributes = ma.fields.Dict(
        keys=ma.fields.String(validate=ma.validate.Length(max=60)),
        values=ma.fields.Raw(allow_none=True),
        metadata={"description": "Attribute values by name (null clears one)"},
    )


class NewCI(CIFields):
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=200))
    ci_class = ma.fields.String(
        required=True,
        data_key="class",
        validate=ma.validate.Length(min=1, max=60),
        metadata={"description": "The class's name"},
    )


class CIRef(ma.Schema):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    ci_class = ma.fields.String(
        required=True, data_key="class", metadata={"description": "Its class's name"}
    )


class CIRelationSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    type = ma.fields.String(required=True)
    source = ma.fields.Nested(CIRef, required=True)
    target = ma.fields.Nested(CIRef, required=True)
    description = ma.fields.String(required=True, metadata={"description": "In words"})
    created_at = UTCDateTime(required=True)


class NewCIRelation(Input):
    source = ma.fields.Integer(required=True, validate=INT_ID, metadata={"description": "A CI id"})
    target = ma.fields.Integer(required=True, validate=INT_ID, metadata={"description": "A CI id"})
    type = ma.fields.String(
        required=True,
        validate=ma.validate.Length(min=1, max=40),
        metadata={"description": "A relation type's name (GET /relation-types)"},
    )


class RelationTypeSchema(ma.Schema):
    name = ma.fields.String(required=True)
    forward = ma.fields.String(required=True)
    reverse = ma.fields.String(required=True)
    propagation = ma.fields.String(required=True)
    membership = ma.fields.Boolean(required=True)


class CIClassSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    label = ma.fields.String(required=True)
    parent = ma.fields.String(allow_none=True, metadata={"description": "The parent's name"})
    is_hardware = ma.fields.Boolean(required=True)
    builtin = ma.fields.Boolean(required=True)
    description = ma.fields.String(required=True)
    version = ma.fields.Integer(required=True)


class CIClassInput(Input):
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=60))
    label = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=100))
    parent = ma.fields.String(
        allow_none=True,
        validate=ma.validate.Length(min=1, max=60),
        metadata={"description": "The parent class's name"},
    )
    is_hardware = ma.fields.Boolean(load_default=None, allow_none=True)
    description = ma.fields.String(load_default="", validate=ma.validate.Length(max=2000))


class AffectedCISchema(ma.Schema):
    ci_id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    ci_class = ma.fields.String(required=True, data_key="class")
    state = ma.fields.String(required=True, validate=ma.validate.OneOf(list(State)))
    depth = ma.fields.Integer(required=True)
    via = ma.fields.Integer(allow_none=True, metadata={"description": "The previous CI's id"})


class AffectedServiceSchema(ma.Schema):
    ci_id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    state = ma.fields.String(required=True, validate=ma.validate.OneOf(list(State)))
    users = ma.fields.Integer(required=True)


class AffectedPeopleSchema(ma.Schema):
    affected = ma.fields.Integer(required=True)
    cut_off = ma.fields.Integer(required=True)
    exact = ma.fields.Boolean(required=True)


class ImpactSchema(ma.Schema):
    failing = ma.fields.List(ma.fields.Integer(), required=True)
    ignored = ma.fields.List(
        ma.fields.Integer(), required=True, metadata={"description": "Failing CIs not counted"}
    )
    affected_count = ma.fields.Integer(required=True)
    affected = ma.fields.List(
        ma.fields.Nested(AffectedCISchema),
        required=True,
        metadata={"description": f"Failing CIs first, then by depth; at most {MAX_AFFECTED}"},
    )
    services = ma.fields.List(ma.fields.Nested(AffectedServiceSchema), required=True)
    people = ma.fields.Nested(AffectedPeopleSchema, required=True)
    suggested_impact = ma.fields.Integer(
        allow_none=True,
        metadata={"description": "The incident impact (1 high – 3 low) the desk would offer"},
    )


class WhatIfInput(Input):
    ci_ids = ma.fields.List(
        ma.fields.Integer(validate=INT_ID),
        required=True,
        validate=ma.validate.Length(min=1, max=analysis.MAX_WHAT_IF),
    )


# -- helpers --------------------------------------------------------------------------------


def _group(found: Any) -> dict[str, Any] | None:
    return {"id": found.id, "name": found.name} if found is not None else None


def _class_ref(ci_class: CIClass) -> dict[str, Any]:
    return {"id": ci_class.id, "name": ci_class.name, "label": ci_class.label}


def dump_ci(ci: ConfigurationItem) -> dict[str, Any]:
    return {
        **{
            f: getattr(ci, f)
            for f in (
                "id",
                "name",
                "environment",
                "criticality",
                "description",
                "location",
                "asset_tag",
                "serial_number",
                "model",
                "warranty_end",
                "users_count",
                "min_up",
                "min_up_percent",
                "created_at",
                "updated_at",
                "version",
            )
        },
        "ci_class": _class_ref(ci.ci_class),
        "status": Lifecycle(ci.status).value,
        "owner": person(ci.owner),
        "assigned_user": person(ci.assigned_user),
        "support_group": _group(ci.support_group),
        "users_group": _group(ci.users_group),
        "attributes": {d.name: history.jsonable(value) for d, value in pages.attribute_rows(ci)},
    }


def _ci_response(ci: ConfigurationItem, status: int = 200) -> Response:
    response = respond(CISchema(), dump_ci(ci), ci, "ci", status)
    if status == 201:
        response.headers["Location"] = url_for("cmdb_api.read_ci", ci_id=ci.id)
    return response


def get_ci(ci_id: int) -> ConfigurationItem:
    ci = db.session.get(ConfigurationItem, ci_id) if ci_id < 2**31 else None
    if ci is None:
        raise NotFound(_("There is no configuration item with this number."))
    return ci


def _class_named(name: str, field: str = "class") -> CIClass:
    """:raise Invalid: no class has this name."""
    found = db.session.scalar(select(CIClass).where(CIClass.name == name))
    if found is None:
        raise Invalid({field: _("There is no CI class named “%(name)s”.", name=name)})
    return found


_REFERENCES = {
    "owner": ("owner_id", User),
    "assigned_user": ("assigned_user_id", User),
    "support_group": ("support_group_id", Group),
    "users_group": ("users_group_id", Group),
}


def _service_fields(body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The services' keyword arguments from a body, and the attribute values.

    :raise Invalid: a person or group that does not exist.
    """
    fields = {k: v for k, v in body.items() if k not in ("attributes", "ci_class")}
    errors: dict[str, str] = {}
    for key, (column, model) in _REFERENCES.items():
        if key not in fields:
            continue
        ident = fields.pop(key)
        if ident is not None and db.session.get(model, ident) is None:
            errors[key] = f"There is no {'person' if model is User else 'group'} {ident}."
        fields[column] = ident
    if errors:
        raise Invalid(errors)
    return fields, body.get("attributes")


def _relation(relation: CIRelation) -> dict[str, Any]:
    kind = relation.relation_type
    return {
        "id": relation.id,
        "type": relation.type,
        "source": _ci_ref(relation.source),
        "target": _ci_ref(relation.target),
        "description": f"{relation.source.name} {kind.forward} {relation.target.name}",
        "created_at": relation.created_at,
    }


def _ci_ref(ci: ConfigurationItem) -> dict[str, Any]:
    return {"id": ci.id, "name": ci.name, "ci_class": ci.ci_class.name}


def _class(ci_class: CIClass) -> dict[str, Any]:
    return {
        "id": ci_class.id,
        "name": ci_class.name,
        "label": ci_class.label,
        "parent": ci_class.parent.name if ci_class.parent else None,
        "is_hardware": ci_class.is_hardware,
        "builtin": ci_class.builtin,
        "description": ci_class.description,
        "version": ci_class.version,
    }


def get_class(class_id: int) -> CIClass:
    found = db.session.get(CIClass, class_id) if class_id < 2**31 else None
    if found is None:
        raise NotFound(_("There is no CI class with this number."))
    return found


def dump_impact(result: ImpactResult | None, failing: list[int]) -> dict[str, Any]:
    if result is None:
        return {
            "failing": failing,
            "ignored": [],
            "affected_count": 0,
            "affected": [],
            "services": [],
            "people": {"affected": 0, "cut_off": 0, "exact": True},
            "suggested_impact": None,
        }
    affected = result.affected
    return {
        "failing": list(result.failing),
        "ignored": list(result.ignored),
        "affected_count": len(affected),
        "affected": [
            {
                "ci_id": a.ci_id,
                "name": a.name,
                "ci_class": a.ci_class,
                "state": State(a.state).value,
                "depth": a.depth,
                "via": a.via,
            }
            for a in affected[:MAX_AFFECTED]
        ],
        "services": [
            {"ci_id": s.ci_id, "name": s.name, "state": State(s.state).value, "users": s.users}
            for s in result.brief_services()
        ],
        "people": {
            "affected": result.people.affected,
            "cut_off": result.people.cut_off,
            "exact": result.people.exact,
        },
        "suggested_impact": analysis.offer_impact(result),
    }


# -- CIs ------------------------------------------------------------------------------------


@blp.route("/cis", methods=["GET"])
@operation("cmdb.browse", READ)
@blp.arguments(CIFilters, location="query", as_kwargs=True)
@blp.response(200, CIPage)
def list_cis(cursor: str | None, limit: int, status: list[str], **filters: Any) -> Any:
    """List CIs with the CI list's filters (text, class and its subclasses, status,
    environment) and sorting."""
    classes = pages.all_classes()
    args = MultiDict([("status", s) for s in status])
    for key, value in filters.items():
        if key == "ci_class":
            chosen = next((c for c in classes if c.name == value), None)
            if chosen is None:
                raise Invalid({"class": _("There is no CI class named “%(name)s”.", name=value)})
            args.add("ci_class", str(chosen.id))
        elif value is not None:
            args.add(key, str(value))
    form = CIFilterForm(args)
    form.ci_class.choices = pages.class_choices(classes)
    if ignored := form.clean():
        raise Invalid({"filters": ignored}, _("Some filters were not understood."))
    query, _counted = ci_query(form, classes, form.understood)
    page = page_of(query, cursor, limit)
    return {"items": [dump_ci(c) for c in page.items], "next_cursor": page.next_cursor}


@blp.route("/cis", methods=["POST"])
@operation("cmdb.manage", WRITE)
@blp.arguments(NewCI)
@blp.response(201, CISchema, headers={"ETag": {"schema": {"type": "string"}}})
def create_ci(body: dict[str, Any]) -> Any:
    """Create a CI of a class, with the class's attributes."""
    ci_class = _class_named(body["ci_class"])
    fields, values = _service_fields(body)
    ci = services.create_ci(
        actor=current_user, ci_class=ci_class, attribute_values=values, **fields
    )
    db.session.commit()
    return _ci_response(ci, 201)


@blp.route("/cis/<int:ci_id>", methods=["GET"])
@operation("cmdb.browse", READ)
@blp.response(200, CISchema, headers={"ETag": {"schema": {"type": "string"}}})
def read_ci(ci_id: int) -> Any:
    """Read a CI with its attributes."""
    return _ci_response(get_ci(ci_id))


@blp.route("/cis/<int:ci_id>", methods=["PATCH"])
@operation("cmdb.manage", WRITE)
@blp.arguments(CIFields)
@blp.response(200, CISchema, headers={"ETag": {"schema": {"type": "string"}}})
def update_ci(body: dict[str, Any], ci_id: int) -> Any:
    """Change some fields and attributes of a CI (``status: retired`` retires it). Needs
    ``If-Match``."""
    ci = get_ci(ci_id)
    version = etags.check_if_match(ci, "ci")
    fields, values = _service_fields(body)
    services.update_ci(
        ci, actor=current_user, expected_version=version, attribute_values=values, **fields
    )
    db.session.commit()
    return _ci_response(ci)


@blp.route("/cis/<int:ci_id>", methods=["DELETE"])
@operation("cmdb.manage", WRITE)
@blp.response(204)
def delete_ci(ci_id: int) -> Any:
    """Delete a CI that has no relations (409 naming them otherwise; prefer retiring).
    Needs ``If-Match``."""
    ci = get_ci(ci_id)
    etags.check_if_match(ci, "ci")
    services.delete_ci(ci, actor=current_user)
    db.session.commit()
    return "", 204


@blp.route("/cis/<int:ci_id>/relations", methods=["GET"])
@operation("cmdb.browse", READ)
@blp.response(200, CIRelationSchema(many=True))
def list_relations(ci_id: int) -> Any:
    """Every relation of a CI, either way."""
    return [_relation(r) for r in services.relations_of(get_ci(ci_id))]


@blp.route("/cis/<int:ci_id>/impact", methods=["GET"])
@operation("cmdb.browse", READ)
@blp.response(200, ImpactSchema)
def ci_impact(ci_id: int) -> Any:
    """What this CI's failure would hit, with the administrators' lifecycle settings."""
    ci = get_ci(ci_id)
    return dump_impact(analysis.impact_of(ci.id), [ci.id])


# -- impact of a set ------------------------------------------------------------------------


@blp.route("/cmdb/what-if", methods=["POST"])
@operation("cmdb.browse", READ)
@blp.arguments(WhatIfInput)
@blp.response(200, ImpactSchema)
def what_if(body: dict[str, Any]) -> Any:
    """What these CIs failing together would hit: affected CIs, business services, people,
    and the incident impact the desk would suggest. Changes nothing (a read)."""
    ids = list(dict.fromkeys(body["ci_ids"]))
    return dump_impact(analysis.what_if(ids), ids)


# -- relations ------------------------------------------------------------------------------


@blp.route("/relation-types", methods=["GET"])
@operation("cmdb.browse", READ)
@blp.response(200, RelationTypeSchema(many=True))
def list_relation_types() -> Any:
    """The relation types, with how a failure travels along each."""
    return [
        {
            "name": t.name,
            "forward": t.forward,
            "reverse": t.reverse,
            "propagation": str(t.propagation.value),
            "membership": t.membership,
        }
        for t in pages.relation_types()
    ]


@blp.route("/relations", methods=["POST"])
@operation("cmdb.manage", WRITE)
@blp.arguments(NewCIRelation)
@blp.response(201, CIRelationSchema)
def create_relation(body: dict[str, Any]) -> Any:
    """Record ``source <type> target``."""
    relation = services.relate(
        get_ci(body["source"]), get_ci(body["target"]), body["type"], actor=current_user
    )
    db.session.commit()
    return _relation(relation), 201


@blp.route("/relations/<int:relation_id>", methods=["GET"])
@operation("cmdb.browse", READ)
@blp.response(200, CIRelationSchema)
def read_relation(relation_id: int) -> Any:
    """Read a relation."""
    return _relation(_get_relation(relation_id))


def _get_relation(relation_id: int) -> CIRelation:
    relation = db.session.get(CIRelation, relation_id) if relation_id < 2**31 else None
    if relation is None:
        raise NotFound(_("There is no relation with this number."))
    return relation


@blp.route("/relations/<int:relation_id>", methods=["DELETE"])
@operation("cmdb.manage", WRITE)
@blp.response(204)
def delete_relation(relation_id: int) -> Any:
    """Remove a relation."""
    services.unrelate(_get_relation(relation_id), actor=current_user)
    db.session.commit()
    return "", 204


# -- classes --------------------------------------------------------------------------------


@blp.route("/ci-classes", methods=["GET"])
@operation("cmdb.browse", READ)
@blp.response(200, CIClassSchema(many=True))
def list_classes() -> Any:
    """Every CI class, by label."""
    return [_class(c) for c in pages.all_classes()]


@blp.route("/ci-classes", methods=["POST"])
@operation("cmdb.manage", WRITE)
@blp.arguments(CIClassInput)
@blp.response(201, CIClassSchema, headers={"ETag": {"schema": {"type": "string"}}})
def create_class(body: dict[str, Any]) -> Any:
    """Add a class under a parent (hardware-ness inherited unless given)."""
    parent = _class_named(body["parent"], "parent") if body.get("parent") else None
    ci_class = classes.add_class(
        actor=current_user,
        name=body["name"],
        label=body["label"],
        parent=parent,
        is_hardware=body["is_hardware"],
        description=body["description"],
    )
    db.session.commit()
    response = respond(CIClassSchema(), _class(ci_class), ci_class, "ci_class", 201)
    response.headers["Location"] = url_for("cmdb_api.read_class", class_id=ci_class.id)
    return response


@blp.route("/ci-classes/<int:class_id>", methods=["GET"])
@operation("cmdb.browse", READ)
@blp.response(200, CIClassSchema, headers={"ETag": {"schema": {"type": "string"}}})
def read_class(class_id: int) -> Any:
    """Read a class."""
    ci_class = get_class(class_id)
    return respond(CIClassSchema(), _class(ci_class), ci_class, "ci_class")


@blp.route("/ci-classes/<int:class_id>", methods=["PUT"])
@operation("cmdb.manage", WRITE)
@blp.arguments(CIClassInput)
@blp.response(200, CIClassSchema, headers={"ETag": {"schema": {"type": "string"}}})
def update_class(body: dict[str, Any], class_id: int) -> Any:
    """Rename, relabel, describe, move or (un)flag a class as hardware (built-in classes keep
    their name and place). Needs ``If-Match``."""
    ci_class = get_class(class_id)
    version = etags.check_if_match(ci_class, "ci_class")
    parent = _class_named(body["parent"], "parent") if body.get("parent") else None
    hardware = body["is_hardware"]
    classes.update_class(
        ci_class,
        actor=current_user,
        name=body["name"],
        label=body["label"],
        description=body["description"],
        parent=parent,
        is_hardware=ci_class.is_hardware if hardware is None else hardware,
        expected_version=version,
    )
    db.session.commit()
    return respond(CIClassSchema(), _class(ci_class), ci_class, "ci_class")


@blp.route("/ci-classes/<int:class_id>", methods=["DELETE"])
@operation("cmdb.manage", WRITE)
@blp.response(204)
def delete_class(class_id: int) -> Any:
    """Delete a class without CIs or subclasses (409 naming them otherwise). Needs
    ``If-Match``."""
    ci_class = get_class(class_id)
    version = etags.check_if_match(ci_class, "ci_class")
    classes.delete_class(ci_class, actor=current_user, expected_version=version)
    db.session.commit()
    return "", 204
