"""Ordering, following, canceling and approving requests, and working their tasks, through the
API: the portal's rules, refusals as problem details, optimistic locking with If-Match."""

from __future__ import annotations

import pytest

MANAGER = [{"kind": "manager"}]
PROBLEM = "application/problem+json"


def _fields(response) -> set[str]:
    assert response.mimetype == PROBLEM, response.get_data(as_text=True)
    return {e["field"] for e in response.get_json().get("errors", [])}


def test_an_employee_orders_for_a_report_and_follows_the_request(api_client, org, make_item):
    item = make_item(approval_policy=MANAGER)
    api, _ = api_client(user=org.ann)
    made = api.post(
        "/api/v1/requests",
        json={
            "requested_for": org.kim.id,
            "note": "For the new desk",
            "lines": [{"catalog_item": item.id, "answers": {"model": "15 inch"}}],
        },
    )
    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    assert made.headers["Location"].endswith(f"/api/v1/requests/{body['number']}")
    assert body["caller"]["id"] == org.kim.id
    assert body["opened_by"]["id"] == org.ann.id
    [line] = body["items"]
    assert line["status"].startswith("Waiting for approval")  # by Bob: Ann ordered it
    assert ("Model", "15 inch") in [(a["label"], a["text"]) for a in line["answers"]]
    assert line["approval_state"] == "requested"
    assert line["cancelable"]
    kims, _ = api_client(user=org.kim)
    listed = kims.get("/api/v1/requests?mine=true").get_json()["items"]
    assert [r["number"] for r in listed] == [body["number"]]
    assert kims.get(f"/api/v1/request-items/{line['number']}").status_code == 200


def test_an_order_is_checked_whole_and_nothing_is_written(api_client, org, make_item, db):
    from sqlalchemy import func, select

    from app.requests.models import ServiceRequest

    good, other = make_item(), make_item()
    api, _ = api_client(user=org.kim)
    before = db.session.scalar(select(func.count(ServiceRequest.id)))
    refused = api.post(
        "/api/v1/requests",
        json={
            "lines": [
                {"catalog_item": good.id, "answers": {"model": "13 inch"}},
                {"catalog_item": other.id, "answers": {"model": "17 inch"}},
            ]
        },
    )
    assert refused.status_code == 422
    assert _fields(refused) == {"lines.1.model"}
    assert db.session.scalar(select(func.count(ServiceRequest.id))) == before
    unknown = api.post("/api/v1/requests", json={"lines": [], "colour": "red"})
    assert unknown.status_code == 422
    assert _fields(unknown) == {"lines", "colour"}
    nobody = api.post(
        "/api/v1/requests",
        json={"requested_for": 2**31 - 1, "lines": [{"catalog_item": good.id}]},
    )
    assert nobody.status_code == 422
    assert "requested_for" in _fields(nobody)
    missing = api.post("/api/v1/requests", json={"lines": [{"catalog_item": 2**31 - 1}]})
    assert missing.status_code == 404
    assert missing.mimetype == PROBLEM


def test_an_item_for_a_group_is_refused_to_others(api_client, org, make_item):
    restricted = make_item(audience="groups", group_ids=[org.queue.id])
    outsider, _ = api_client(user=org.kim)
    assert outsider.get(f"/api/v1/catalog/items/{restricted.id}").status_code == 403
    ordered = outsider.post("/api/v1/requests", json={"lines": [{"catalog_item": restricted.id}]})
    assert ordered.status_code == 403
    insider, _ = api_client(user=org.ivan)
    read = insider.get(f"/api/v1/catalog/items/{restricted.id}").get_json()
    assert [v["name"] for v in read["variables"]] == ["model", "reason"]
    listed = insider.get("/api/v1/catalog/items?limit=100").get_json()["items"]
    assert restricted.id in [i["id"] for i in listed]


def test_canceling_needs_the_current_etag_and_an_open_item(api_client, org, make_item, place):
    waiting = place(make_item(approval_policy=MANAGER))
    api, _ = api_client(user=org.kim)
    url = f"/api/v1/requests/{waiting.request.number}"
    etag = api.get(url).headers["ETag"]
    assert api.post(f"{url}/cancel", json={}).status_code == 428
    stale = api.post(f"{url}/cancel", json={}, headers={"If-Match": '"request-1-v0"'})
    assert stale.status_code == 412
    assert stale.mimetype == PROBLEM
    done = api.post(f"{url}/cancel", json={"reason": "Changed my mind"}, headers={"If-Match": etag})
    assert done.status_code == 200
    assert done.get_json()["items"][0]["status"] == "Canceled"
    delivering = place(make_item())  # no approval: fulfilment starts at once
    item_url = f"/api/v1/request-items/{delivering.number}"
    etag = api.get(item_url).headers["ETag"]
    late = api.post(f"{item_url}/cancel", json={}, headers={"If-Match": etag})
    assert late.status_code == 409
    assert "can no longer be canceled" in late.get_json()["detail"]


def test_an_approver_decides_and_fulfilment_starts(api_client, org, make_item, place):
    item = place(make_item(approval_policy=MANAGER))  # Kim's manager is Ann
    ann, _ = api_client(user=org.ann)
    [waiting] = ann.get("/api/v1/approvals").get_json()["items"]
    assert waiting["item"] == item.number
    assert waiting["may_decide"]
    url = f"/api/v1/approvals/{waiting['id']}"
    etag = ann.get(url).headers["ETag"]
    reasonless = ann.post(
        f"{url}/decision", json={"decision": "reject"}, headers={"If-Match": etag}
    )
    assert reasonless.status_code == 422
    assert _fields(reasonless) == {"comment"}
    wrong = ann.post(f"{url}/decision", json={"decision": "maybe"}, headers={"If-Match": etag})
    assert wrong.status_code == 422
    assert _fields(wrong) == {"decision"}
    approved = ann.post(f"{url}/decision", json={"decision": "approve"}, headers={"If-Match": etag})
    assert approved.status_code == 200, approved.get_json()
    assert approved.get_json()["state"] == "approved"
    assert approved.get_json()["item_status"] == "In progress"
    again = ann.post(
        f"{url}/decision",
        json={"decision": "approve"},
        headers={"If-Match": approved.headers["ETag"]},
    )
    assert again.status_code == 409
    decided = ann.get("/api/v1/approvals?show=decided").get_json()["items"]
    assert [a["id"] for a in decided] == [waiting["id"]]
    kim, _ = api_client(user=org.kim)
    assert kim.get(url).status_code == 404  # the requester never decides


def test_an_agent_of_the_group_works_the_task_to_delivery(api_client, org, make_item, place):
    item = place(make_item())
    task = item.tasks[0]
    outsider, _ = api_client("agent")
    url = f"/api/v1/tasks/{task.number}"
    etag = outsider.get(url).headers["ETag"]
    refused = outsider.put(
        f"{url}/state", json={"state": "in_progress"}, headers={"If-Match": etag}
    )
    assert refused.status_code == 403
    ivan, _ = api_client(user=org.ivan)
    assert org.ivan.id in [
        m["id"] for m in ivan.get(f"/api/v1/groups/{org.queue.id}").get_json()["members"]
    ]
    assigned = ivan.put(
        f"{url}/assignment",
        json={"group": org.queue.id, "assignee": org.kim.id},
        headers={"If-Match": etag},
    )
    assert assigned.status_code == 422
    assert _fields(assigned) == {"assignee"}
    assigned = ivan.put(
        f"{url}/assignment",
        json={"group": org.queue.id, "assignee": org.ivan.id},
        headers={"If-Match": etag},
    )
    assert assigned.status_code == 200
    assert assigned.get_json()["assignee"]["id"] == org.ivan.id
    stale = ivan.put(f"{url}/state", json={"state": "in_progress"}, headers={"If-Match": etag})
    assert stale.status_code == 412
    etag = assigned.headers["ETag"]
    unfinished = ivan.put(f"{url}/state", json={"state": "closed"}, headers={"If-Match": etag})
    assert unfinished.status_code == 422
    assert _fields(unfinished) == {"close_code"}
    note = ivan.post(f"{url}/comments", json={"body": "Ordered from the vendor."})
    assert note.status_code == 201
    assert note.get_json()["kind"] == "work_note"
    closed = ivan.put(
        f"{url}/state",
        json={"state": "closed", "close_code": "complete"},
        headers={"If-Match": etag},
    )
    assert closed.status_code == 200, closed.get_json()
    kim, _ = api_client(user=org.kim)
    assert kim.get(f"/api/v1/request-items/{item.number}").get_json()["status"] == "Delivered"
    assert kim.get(url).status_code == 403  # tasks are IT staff's


@pytest.mark.parametrize("scopes", [["requests:read"], ["catalog:write"]])
def test_a_token_without_the_write_scope_cannot_order(api_client, org, make_item, scopes):
    item = make_item()
    api, _ = api_client(user=org.kim, scopes=scopes)
    ordered = api.post("/api/v1/requests", json={"lines": [{"catalog_item": item.id}]})
    assert ordered.status_code == 403
    assert "requests:write" in ordered.get_json()["detail"]
