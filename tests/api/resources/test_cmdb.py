"""The CMDB through the API as an inventory tool uses it: create, read, change and delete CIs
with their attributes, relate them, ask what a failure would hit; refusals as problem
details, stale writes refused."""

from __future__ import annotations

import uuid

PROBLEM = "application/problem+json"


def _fields(response) -> set[str]:
    assert response.mimetype == PROBLEM, response.get_data(as_text=True)
    return {e["field"] for e in response.get_json().get("errors", [])}


def _name(prefix: str = "api") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_an_inventory_tool_creates_changes_and_deletes_a_ci(api_client, make_user):
    api, _ = api_client("admin")
    owner = make_user(roles=["agent"])
    name = _name("srv")
    made = api.post(
        "/api/v1/cis",
        json={
            "class": "server",
            "name": name,
            "environment": "production",
            "criticality": 2,
            "owner": owner.id,
            "serial_number": "SN-1",
            "warranty_end": "2028-01-31",
        },
    )
    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    assert body["class"]["name"] == "server"
    assert body["owner"]["username"] == owner.username
    assert body["warranty_end"] == "2028-01-31"
    assert body["created_at"].endswith("Z")
    url = made.headers["Location"]
    etag = made.headers["ETag"]
    assert api.get(url).headers["ETag"] == etag
    changed = api.patch(url, json={"status": "in_maintenance"}, headers={"If-Match": etag})
    assert changed.status_code == 200
    assert changed.get_json()["status"] == "in_maintenance"
    stale = api.patch(url, json={"status": "retired"}, headers={"If-Match": etag})
    assert stale.status_code == 412
    assert stale.mimetype == PROBLEM
    assert api.get(url).get_json()["status"] == "in_maintenance"
    gone = api.delete(url, headers={"If-Match": changed.headers["ETag"]})
    assert gone.status_code == 204
    assert api.get(url).status_code == 404


def test_bad_cis_are_refused_field_by_field(api_client, make_ci):
    api, _ = api_client("admin")
    taken = make_ci(_name(), "application")
    wrong = api.post(
        "/api/v1/cis",
        json={"class": "application", "name": "x", "environment": "moon", "criticality": 9},
    )
    assert wrong.status_code == 422
    assert _fields(wrong) == {"environment", "criticality"}
    hardware = api.post(
        "/api/v1/cis", json={"class": "application", "name": _name(), "serial_number": "S"}
    )
    assert hardware.status_code == 422
    assert _fields(hardware) == {"serial_number"}
    twice = api.post("/api/v1/cis", json={"class": "application", "name": taken.name})
    assert twice.status_code == 422
    assert _fields(twice) == {"name"}
    no_class = api.post("/api/v1/cis", json={"class": "spaceship", "name": _name()})
    assert no_class.status_code == 422
    assert _fields(no_class) == {"class"}
    attribute = api.post(
        "/api/v1/cis",
        json={"class": "application", "name": _name(), "attributes": {"colour": "red"}},
    )
    assert attribute.status_code == 422
    assert _fields(attribute) == {"attr_colour"}
    nobody = api.post(
        "/api/v1/cis", json={"class": "application", "name": _name(), "owner": 2**31 - 1}
    )
    assert nobody.status_code == 422
    assert _fields(nobody) == {"owner"}


def test_a_related_ci_is_not_deleted_and_the_impact_follows_relations(api_client, make_ci):
    api, _ = api_client("admin")
    server, app_ = make_ci(_name("srv"), "server"), make_ci(_name("app"), "application")
    related = api.post(
        "/api/v1/relations", json={"source": app_.id, "target": server.id, "type": "runs_on"}
    )
    assert related.status_code == 201, related.get_json()
    assert related.get_json()["description"] == f"{app_.name} runs on {server.name}"
    twice = api.post(
        "/api/v1/relations", json={"source": app_.id, "target": server.id, "type": "runs_on"}
    )
    assert twice.status_code == 422
    unknown = api.post(
        "/api/v1/relations", json={"source": app_.id, "target": server.id, "type": "loves"}
    )
    assert unknown.status_code == 422
    assert _fields(unknown) == {"type"}
    etag = api.get(f"/api/v1/cis/{server.id}").headers["ETag"]
    refused = api.delete(f"/api/v1/cis/{server.id}", headers={"If-Match": etag})
    assert refused.status_code == 409
    assert app_.name in refused.get_json()["detail"]
    hit = api.post("/api/v1/cmdb/what-if", json={"ci_ids": [server.id]}).get_json()
    assert hit["failing"] == [server.id]
    assert {a["name"]: a["state"] for a in hit["affected"]} == {
        server.name: "down",
        app_.name: "down",
    }
    assert hit["affected_count"] == 2
    one = api.get(f"/api/v1/cis/{server.id}/impact").get_json()
    assert one["affected"] == hit["affected"]
    relations = api.get(f"/api/v1/cis/{app_.id}/relations").get_json()
    assert [r["type"] for r in relations] == ["runs_on"]
    assert api.delete(f"/api/v1/relations/{relations[0]['id']}").status_code == 204
    assert api.get(f"/api/v1/cis/{app_.id}/relations").get_json() == []


def test_what_if_names_its_limits(api_client):
    api, _ = api_client("agent")
    empty = api.post("/api/v1/cmdb/what-if", json={"ci_ids": []})
    assert empty.status_code == 422
    assert _fields(empty) == {"ci_ids"}
    missing = api.post("/api/v1/cmdb/what-if", json={"ci_ids": [2**31 - 1]})
    assert missing.status_code == 422
    assert _fields(missing) == {"ci"}


def test_classes_are_managed_like_on_the_class_pages(api_client, make_ci):
    api, _ = api_client("admin")
    name = f"c_{uuid.uuid4().hex[:8]}"
    made = api.post("/api/v1/ci-classes", json={"name": name, "label": "Robot", "parent": "server"})
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["is_hardware"]  # inherited from its parent
    url = made.headers["Location"]
    renamed = api.put(
        url,
        json={"name": name, "label": "Robots", "parent": "server"},
        headers={"If-Match": made.headers["ETag"]},
    )
    assert renamed.status_code == 200
    assert renamed.get_json()["label"] == "Robots"
    make_ci(_name("robot"), name)
    used = api.delete(url, headers={"If-Match": renamed.headers["ETag"]})
    assert used.status_code == 409
    builtin = next(c for c in api.get("/api/v1/ci-classes").get_json() if c["name"] == "server")
    etag = api.get(f"/api/v1/ci-classes/{builtin['id']}").headers["ETag"]
    kept = api.delete(f"/api/v1/ci-classes/{builtin['id']}", headers={"If-Match": etag})
    assert kept.status_code == 409


def test_the_ci_list_filters_by_class_status_and_text(api_client, make_ci):
    api, _ = api_client("agent")
    tag = uuid.uuid4().hex[:8]
    server = make_ci(f"srv-{tag}", "server")
    make_ci(f"app-{tag}", "application", status="retired")
    found = api.get(f"/api/v1/cis?q=srv-{tag}&class=server&status=in_service").get_json()
    assert [c["id"] for c in found["items"]] == [server.id]
    unknown = api.get("/api/v1/cis?class=spaceship")
    assert unknown.status_code == 422
    assert _fields(unknown) == {"class"}
