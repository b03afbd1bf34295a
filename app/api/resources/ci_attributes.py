"""``/api/v1/ci-classes/{id}/attributes`` and ``/api/v1/ci-attributes``: the typed attribute
definitions of CI classes, as the class pages show and change them.

Reading is for IT staff (``cmdb.browse``), changing for administrators (``cmdb.manage``), as on
the class pages; every change goes through ``app.cmdb.classes.attributes`` (the same checks:
a name unique along the class's line, no type change while CIs hold values, no removal of a
choice some CIs hold, deleting held values only when the name is typed to confirm).
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import Response, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.api import etags
from app.api.auth import operation
from app.api.resources.cmdb import READ, WRITE, get_class
from app.api.resources.common import respond
from app.api.schemas import Input
from app.api.spec import Blueprint
from app.cmdb.attributes import class_lineage
from app.cmdb.classes import attributes as definitions
from app.cmdb.models import AttributeDefinition, AttributeType
from app.errors import NotFound
from app.extensions import db

blp = Blueprint(
    "ci_attributes_api",
    __name__,
    description="The typed attributes CI classes define (and their subclasses inherit).",
)

KIND = "ci_attribute"


class AttributeDefinitionSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    ci_class = ma.fields.String(
        required=True, metadata={"description": "The name of the class that defines it"}
    )
    name = ma.fields.String(required=True, metadata={"description": "Its key in a CI's body"})
    label = ma.fields.String(required=True)
    help = ma.fields.String(required=True)
    type = ma.fields.String(required=True, validate=ma.validate.OneOf(list(AttributeType)))
    required = ma.fields.Boolean(required=True)
    choices = ma.fields.List(ma.fields.String(), required=True)
    version = ma.fields.Integer(required=True, metadata={"description": "The ETag's version"})


class AttributeInput(Input):
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=60))
    label = ma.fields.String(load_default="", validate=ma.validate.Length(max=100))
    help = ma.fields.String(load_default="", validate=ma.validate.Length(max=300))
    type = ma.fields.String(required=True, validate=ma.validate.OneOf(list(AttributeType)))
    required = ma.fields.Boolean(load_default=False)
    choices = ma.fields.List(
        ma.fields.String(validate=ma.validate.Length(max=100)),
        load_default=list,
        validate=ma.validate.Length(max=100),
        metadata={"description": "The choices of a choice attribute, in order"},
    )


class DeleteArgs(Input):
    confirm = ma.fields.String(
        load_default="",
        validate=ma.validate.Length(max=60),
        metadata={"description": "The attribute's name: delete it with the values CIs hold"},
    )


def dump(definition: AttributeDefinition) -> dict[str, Any]:
    return {
        "id": definition.id,
        "ci_class": definition.ci_class.name,
        "name": definition.name,
        "label": definition.label,
        "help": definition.help,
        "type": str(definition.type),
        "required": definition.required,
        "choices": list(definition.choices or []),
        "version": definition.version,
    }


def get_definition(definition_id: int) -> AttributeDefinition:
    found = db.session.get(AttributeDefinition, definition_id) if definition_id < 2**31 else None
    if found is None:
        raise NotFound(_("There is no attribute definition with this number."))
    return found


def _respond(definition: AttributeDefinition, status: int = 200) -> Response:
    response = respond(AttributeDefinitionSchema(), dump(definition), definition, KIND, status)
    if status == 201:
        response.headers["Location"] = url_for(
            "ci_attributes_api.read_attribute", definition_id=definition.id
        )
    return response


def _fields(body: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": body["name"],
        "label": body["label"],
        "help_text": body["help"],
        "type_": body["type"],
        "required": body["required"],
        "choices": body["choices"],
    }


@blp.route("/ci-classes/<int:class_id>/attributes", methods=["GET"])
@operation("cmdb.browse", READ)
@blp.response(200, AttributeDefinitionSchema(many=True))
def list_attributes(class_id: int) -> Any:
    """The attributes a CI of this class has: those its ancestors define (nearest last) and
    its own, in display order (``ci_class`` says which class defines each)."""
    lineage = class_lineage(get_class(class_id))
    rows = db.session.scalars(
        select(AttributeDefinition).where(AttributeDefinition.class_id.in_(lineage))
    )
    depth = {ident: -n for n, ident in enumerate(lineage)}
    return [dump(d) for d in sorted(rows, key=lambda d: (depth[d.class_id], d.position, d.id))]


@blp.route("/ci-classes/<int:class_id>/attributes", methods=["POST"])
@operation("cmdb.manage", WRITE)
@blp.arguments(AttributeInput)
@blp.response(201, AttributeDefinitionSchema, headers={"ETag": {"schema": {"type": "string"}}})
def create_attribute(body: dict[str, Any], class_id: int) -> Any:
    """Define a typed attribute on a class and so on its subclasses (its name unique along
    the class's line; a choice attribute needs choices)."""
    made = definitions.add_attribute(
        actor=current_user, ci_class=get_class(class_id), **_fields(body)
    )
    db.session.commit()
    return _respond(made, 201)


@blp.route("/ci-attributes/<int:definition_id>", methods=["GET"])
@operation("cmdb.browse", READ)
@blp.response(200, AttributeDefinitionSchema, headers={"ETag": {"schema": {"type": "string"}}})
def read_attribute(definition_id: int) -> Any:
    """Read an attribute definition."""
    return _respond(get_definition(definition_id))


@blp.route("/ci-attributes/<int:definition_id>", methods=["PUT"])
@operation("cmdb.manage", WRITE)
@blp.arguments(AttributeInput)
@blp.response(200, AttributeDefinitionSchema, headers={"ETag": {"schema": {"type": "string"}}})
def update_attribute(body: dict[str, Any], definition_id: int) -> Any:
    """Change a definition: label, help and "required" always; the name; the type only
    while no CI holds a value; choices added or reordered, not removed while held (409).
    Needs ``If-Match``."""
    definition = get_definition(definition_id)
    version = etags.check_if_match(definition, KIND)
    definitions.update_attribute(
        definition, actor=current_user, expected_version=version, **_fields(body)
    )
    db.session.commit()
    return _respond(definition)


@blp.route("/ci-attributes/<int:definition_id>", methods=["DELETE"])
@operation("cmdb.manage", WRITE)
@blp.arguments(DeleteArgs, location="query", as_kwargs=True)
@blp.response(204)
def delete_attribute(definition_id: int, confirm: str) -> Any:
    """Delete a definition nobody holds a value for; when CIs hold values, a 409 names them
    unless ``confirm`` is its name (the values go too, in each CI's history). Needs
    ``If-Match``."""
    definition = get_definition(definition_id)
    version = etags.check_if_match(definition, KIND)
    definitions.delete_attribute(
        definition, actor=current_user, confirm=confirm, expected_version=version
    )
    db.session.commit()
    return "", 204
