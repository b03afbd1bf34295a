"""The operations issue 18 left out: CI class attribute definitions, publishing articles,
approval delegations, and service owners reading the SLAs of their services' tickets."""

from __future__ import annotations

import uuid
from datetime import timedelta


def _fields(response) -> set[str]:
    return {e["field"] for e in response.get_json()["errors"]}


def test_an_administrator_defines_a_class_attribute_and_cis_carry_it(api_client, make_ci, ci_class):
    admin, _ = api_client("admin")
    agent, _ = api_client("agent")
    server = ci_class("server")
    url = f"/api/v1/ci-classes/{server.id}/attributes"
    made = admin.post(url, json={"name": "rack", "type": "choice", "choices": ["A1", "A2"]})
    assert made.status_code == 201, made.get_json()
    attribute = made.get_json()
    assert (attribute["ci_class"], attribute["label"], attribute["choices"]) == (
        "server",
        "Rack",
        ["A1", "A2"],
    )
    assert agent.get(url).status_code == 200
    assert "rack" in [a["name"] for a in agent.get(url).get_json()]
    again = admin.post(url, json={"name": "rack", "type": "string"})
    assert again.status_code == 422
    assert _fields(again) == {"name"}
    assert admin.post(url, json={"name": "rack2", "type": "colour"}).status_code == 422
    ci = make_ci(f"srv-{uuid.uuid4().hex[:6]}", "server", attributes={"rack": "A1"})
    one = f"/api/v1/ci-attributes/{attribute['id']}"
    etag = made.headers["ETag"]
    dropping = admin.put(
        one, json={"name": "rack", "type": "choice", "choices": ["A2"]}, headers={"If-Match": etag}
    )
    assert dropping.status_code == 409  # a CI holds A1
    renamed = admin.put(
        one,
        json={"name": "rack", "label": "Rack row", "type": "choice", "choices": ["A1", "A2", "B1"]},
        headers={"If-Match": etag},
    )
    assert renamed.status_code == 200, renamed.get_json()
    assert renamed.get_json()["label"] == "Rack row"
    stale = admin.delete(one, headers={"If-Match": etag})
    assert stale.status_code == 412
    held = admin.delete(one, headers={"If-Match": renamed.headers["ETag"]})
    assert held.status_code == 409
    assert ci.name in held.get_json()["detail"]
    gone = admin.delete(f"{one}?confirm=rack", headers={"If-Match": renamed.headers["ETag"]})
    assert gone.status_code == 204
    assert admin.get(one).status_code == 404
    assert admin.get(f"/api/v1/cis/{ci.id}").get_json()["attributes"].get("rack") is None


def test_an_article_goes_through_review_to_publication_and_retirement(api_client):
    author, _ = api_client("agent", "employee")
    manager, _ = api_client("admin", "employee")  # administrators are knowledge managers
    reader, _ = api_client("employee")
    made = author.post("/api/v1/kb/articles", json={"title": "VPN drops", "body": "Reconnect."})
    number = made.get_json()["number"]
    url = f"/api/v1/kb/articles/{number}"
    submitted = author.post(f"{url}/submit", headers={"If-Match": made.headers["ETag"]})
    assert submitted.get_json()["state"] == "review"
    assert reader.get(url).status_code == 404
    own = author.post(f"{url}/publish", headers={"If-Match": submitted.headers["ETag"]})
    assert own.status_code == 403  # an author does not approve their own article
    missing = manager.post(f"{url}/publish")
    assert missing.status_code == 428
    back = manager.post(f"{url}/send-back", headers={"If-Match": submitted.headers["ETag"]})
    assert back.get_json()["state"] == "draft"
    early = manager.post(f"{url}/publish", headers={"If-Match": back.headers["ETag"]})
    assert early.status_code == 422  # a draft is not in review
    again = author.post(f"{url}/submit", headers={"If-Match": back.headers["ETag"]})
    published = manager.post(f"{url}/publish", headers={"If-Match": again.headers["ETag"]})
    assert published.status_code == 200, published.get_json()
    assert published.get_json()["state"] == "published"
    assert reader.get(url).get_json()["published"]["title"] == "VPN drops"
    stranger, _ = api_client("agent", "employee")
    refused = stranger.post(f"{url}/retire", headers={"If-Match": published.headers["ETag"]})
    assert refused.status_code == 403
    retired = author.post(f"{url}/retire", headers={"If-Match": published.headers["ETag"]})
    assert retired.get_json()["state"] == "retired"
    assert reader.get(url).status_code == 404


def test_an_approver_names_a_delegate_and_ends_the_delegation(api_client, make_user):
    from app.timeutils import utc_now

    me, myself = api_client("employee")
    delegate = make_user(display_name="Dana Delegate")
    now = utc_now()
    period = {
        "starts_at": now.isoformat().replace("+00:00", "Z"),
        "ends_at": (now + timedelta(days=7)).isoformat().replace("+00:00", "Z"),
    }
    yourself = me.post("/api/v1/approval-delegations", json={"delegate": myself.id, **period})
    assert yourself.status_code == 422
    assert _fields(yourself) == {"delegate"}
    naive = me.post(
        "/api/v1/approval-delegations",
        json={"delegate": delegate.id, "starts_at": "2030-01-01T00:00:00", "ends_at": "x"},
    )
    assert naive.status_code == 422
    assert _fields(naive) == {"starts_at", "ends_at"}
    made = me.post("/api/v1/approval-delegations", json={"delegate": delegate.id, **period})
    assert made.status_code == 201, made.get_json()
    given = made.get_json()
    assert (given["delegate"]["display_name"], given["role"]) == ("Dana Delegate", "given")
    overlapping = me.post("/api/v1/approval-delegations", json={"delegate": delegate.id, **period})
    assert overlapping.status_code == 422
    theirs, _ = api_client(user=delegate)
    [received] = theirs.get("/api/v1/approval-delegations").get_json()["items"]
    assert (received["id"], received["role"]) == (given["id"], "received")
    end = f"/api/v1/approval-delegations/{given['id']}/end"
    assert theirs.post(end).status_code == 403  # only its giver ends it
    other, _ = api_client("employee")
    assert other.post(end).status_code == 404
    assert me.post(end).status_code == 204
    assert me.get("/api/v1/approval-delegations").get_json()["items"] == []


def test_a_service_owner_reads_the_slas_of_their_services_tickets_only(
    api_client, make_user, make_incident, queue, policy, business_service
):
    owner = make_user(roles=["service_owner", "employee"])
    network = queue(f"Network {uuid.uuid4().hex[:6]}")
    policy(network, name="Resolve in an hour")
    business_service(f"ERP {uuid.uuid4().hex[:6]}", owner)
    erp = business_service(f"ERP {uuid.uuid4().hex[:6]}", owner)
    caller = make_user()
    theirs = make_incident(caller, assignment_group=network, affected_service=erp.name)
    other = make_incident(caller, assignment_group=network)
    api, _ = api_client(user=owner)
    slas = api.get(f"/api/v1/tickets/{theirs.number}/slas")
    assert slas.status_code == 200, slas.get_json()
    assert [s["name"] for s in slas.get_json()] == ["Resolve in an hour"]
    assert api.get(f"/api/v1/tickets/{other.number}/slas").status_code == 404
    agent, _ = api_client("agent")
    assert agent.get(f"/api/v1/tickets/{other.number}/slas").status_code == 200
    read_only, _ = api_client(user=owner, scopes=["kb:read"])
    assert read_only.get(f"/api/v1/tickets/{theirs.number}/slas").status_code == 403
