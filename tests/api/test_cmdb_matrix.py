"""Who may do what to the CMDB through the API: IT staff read it (agents, service owners,
administrators), administrators change it, as on the CMDB pages."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.api.authz import ROLES, Case, World, run

STAFF = {"agent": 200, "service_owner": 200, "admin": 200}


def _name() -> str:
    return f"api-{uuid.uuid4().hex[:8]}"


def _ci(world: World) -> dict[str, Any]:
    ci = world.fixture("make_ci")(_name(), "application")
    return {"id": ci.id, "etag": f'"ci-{ci.id}-v{ci.version}"'}


def _pair(world: World) -> dict[str, Any]:
    make_ci = world.fixture("make_ci")
    app_, server = make_ci(_name(), "application"), make_ci(_name(), "server")
    relation = world.fixture("relate")(app_, "runs_on", server)
    return {"source": app_.id, "target": server.id, "id": relation.id}


def _class(world: World) -> dict[str, Any]:
    from app.cmdb.classes import services
    from app.extensions import db

    made = services.add_class(actor=None, name=f"c_{uuid.uuid4().hex[:8]}", label="Appliance")
    db.session.commit()
    return {"id": made.id, "name": made.name, "etag": f'"ci_class-{made.id}-v{made.version}"'}


def _attribute(world: World) -> dict[str, Any]:
    """A class with a string attribute nobody holds a value of."""
    from app.cmdb.classes import attributes
    from app.cmdb.models import CIClass
    from app.extensions import db

    values = _class(world)
    made = attributes.add_attribute(
        actor=None,
        ci_class=db.session.get(CIClass, values["id"]),
        name="rack",
        label="Rack",
        type_="string",
    )
    db.session.commit()
    return {
        "class_id": values["id"],
        "id": made.id,
        "etag": f'"ci_attribute-{made.id}-v{made.version}"',
    }


CASES = [
    Case("cmdb_api.list_cis", "GET", "/api/v1/cis", expect=STAFF),
    Case(
        "cmdb_api.create_ci",
        "POST",
        "/api/v1/cis",
        json=lambda _: {"class": "application", "name": _name()},
        expect={"admin": 201},
    ),
    Case("cmdb_api.read_ci", "GET", "/api/v1/cis/{id}", setup=_ci, expect=STAFF),
    Case(
        "cmdb_api.update_ci",
        "PATCH",
        "/api/v1/cis/{id}",
        setup=_ci,
        json={"description": "Moved to the new cluster"},
        if_match="etag",
        expect={"admin": 200},
    ),
    Case(
        "cmdb_api.delete_ci",
        "DELETE",
        "/api/v1/cis/{id}",
        setup=_ci,
        if_match="etag",
        expect={"admin": 204},
    ),
    Case("cmdb_api.list_relations", "GET", "/api/v1/cis/{id}/relations", setup=_ci, expect=STAFF),
    Case("cmdb_api.ci_impact", "GET", "/api/v1/cis/{id}/impact", setup=_ci, expect=STAFF),
    Case(
        "cmdb_api.what_if",
        "POST",
        "/api/v1/cmdb/what-if",
        setup=_ci,
        json=lambda values: {"ci_ids": [values["id"]]},
        expect=STAFF,
    ),
    Case("cmdb_api.list_relation_types", "GET", "/api/v1/relation-types", expect=STAFF),
    Case(
        "cmdb_api.create_relation",
        "POST",
        "/api/v1/relations",
        setup=_pair,
        json=lambda values: {
            "source": values["source"],
            "target": values["target"],
            "type": "depends_on",
        },
        expect={"admin": 201},
    ),
    Case("cmdb_api.read_relation", "GET", "/api/v1/relations/{id}", setup=_pair, expect=STAFF),
    Case(
        "cmdb_api.delete_relation",
        "DELETE",
        "/api/v1/relations/{id}",
        setup=_pair,
        expect={"admin": 204},
    ),
    Case("cmdb_api.list_classes", "GET", "/api/v1/ci-classes", expect=STAFF),
    Case(
        "cmdb_api.create_class",
        "POST",
        "/api/v1/ci-classes",
        json=lambda _: {"name": f"c_{uuid.uuid4().hex[:8]}", "label": "Robot", "parent": None},
        expect={"admin": 201},
    ),
    Case("cmdb_api.read_class", "GET", "/api/v1/ci-classes/{id}", setup=_class, expect=STAFF),
    Case(
        "cmdb_api.update_class",
        "PUT",
        "/api/v1/ci-classes/{id}",
        setup=_class,
        json=lambda values: {"name": values["name"], "label": "Appliances"},
        if_match="etag",
        expect={"admin": 200},
    ),
    Case(
        "cmdb_api.delete_class",
        "DELETE",
        "/api/v1/ci-classes/{id}",
        setup=_class,
        if_match="etag",
        expect={"admin": 204},
    ),
    Case(
        "ci_attributes_api.list_attributes",
        "GET",
        "/api/v1/ci-classes/{class_id}/attributes",
        setup=_attribute,
        expect=STAFF,
    ),
    Case(
        "ci_attributes_api.create_attribute",
        "POST",
        "/api/v1/ci-classes/{id}/attributes",
        setup=_class,
        json={"name": "floor", "type": "integer"},
        # Class attributes are the CMDB administrators' (cmdb.manage), as on the class pages.
        expect={"admin": 201},
    ),
    Case(
        "ci_attributes_api.read_attribute",
        "GET",
        "/api/v1/ci-attributes/{id}",
        setup=_attribute,
        expect=STAFF,
    ),
    Case(
        "ci_attributes_api.update_attribute",
        "PUT",
        "/api/v1/ci-attributes/{id}",
        setup=_attribute,
        json={"name": "rack", "label": "Rack position", "type": "string"},
        if_match="etag",
        expect={"admin": 200},
    ),
    Case(
        "ci_attributes_api.delete_attribute",
        "DELETE",
        "/api/v1/ci-attributes/{id}",
        setup=_attribute,
        if_match="etag",
        expect={"admin": 204},
    ),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", CASES, ids=str)
def test_cmdb_operations(case: Case, role: str, api_client, request) -> None:
    run(case, role, request)
