"""Bad input is a problem document with the reason, never a 500, and nothing is saved."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.incidents.models import Incident


def _count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(Incident))


def _problem(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == status
    assert body["type"].startswith("https://")
    assert body["title"]
    assert body["detail"]
    assert body["instance"] == response.request.path
    return body


def test_unknown_fields_are_listed(api_client, db):
    api, _ = api_client("employee")
    body = _problem(
        api.post("/api/v1/incidents", json={"short_description": "x", "colour": 1, "size": 2}),
        422,
    )
    assert {e["field"] for e in body["errors"]} == {"colour", "size"}
    assert "colour" in body["detail"]
    assert _count(db) == 0


def test_out_of_range_values_and_enums(api_client, make_incident, db):
    api, agent = api_client("agent")
    body = _problem(
        api.post("/api/v1/incidents", json={"short_description": "", "urgency": 42}), 422
    )
    assert {e["field"] for e in body["errors"]} == {"short_description", "urgency"}
    incident = make_incident(agent)
    etag = api.get(f"/api/v1/incidents/{incident.number}").headers["ETag"]
    body = _problem(
        api.post(
            f"/api/v1/incidents/{incident.number}/transitions",
            json={"state": "exploded"},
            headers={"If-Match": etag},
        ),
        422,
    )
    assert body["errors"][0]["field"] == "state"
    assert _count(db) == 1


@pytest.mark.parametrize(
    ("content_type", "data"),
    [("text/plain", "short_description=x"), ("application/x-www-form-urlencoded", "a=b")],
)
def test_other_content_types_are_415(api_client, db, content_type, data):
    api, _ = api_client("employee")
    _problem(api.post("/api/v1/incidents", data=data, content_type=content_type), 415)
    assert _count(db) == 0


def test_malformed_json_is_400(api_client, db):
    api, _ = api_client("employee")
    body = _problem(
        api.post(
            "/api/v1/incidents", data='{"short_description": ', content_type="application/json"
        ),
        400,
    )
    assert "JSON" in body["detail"]
    _problem(api.post("/api/v1/incidents", data=b"\xff\xfe", content_type="application/json"), 400)
    assert _count(db) == 0


def test_a_body_that_is_not_an_object_is_422(api_client, db):
    api, _ = api_client("employee")
    _problem(api.post("/api/v1/incidents", json=["short_description"]), 422)
    assert _count(db) == 0


def test_huge_bodies_are_413(app, api_client, db, monkeypatch):
    api, _ = api_client("employee")
    monkeypatch.setitem(app.config, "API_MAX_BODY_BYTES", 1024)
    huge = {"short_description": "x", "description": "y" * 5000}
    _problem(api.post("/api/v1/incidents", json=huge), 413)
    assert _count(db) == 0


def test_unknown_routes_and_methods_are_problems_too(api_client):
    api, _ = api_client("employee")
    _problem(api.get("/api/v1/nothing-here"), 404)
    response = api.delete("/api/v1/incidents")
    _problem(response, 405)
    assert "GET" in response.headers["Allow"]


def test_the_rate_limit_is_per_token(app, api_client, monkeypatch):
    monkeypatch.setitem(app.config, "API_RATE_LIMIT", "3 per minute")
    api, _ = api_client("employee")
    other, _ = api_client("employee")
    statuses = [api.get("/api/v1/incidents").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = api.get("/api/v1/incidents")
    _problem(limited, 429)
    assert int(limited.headers["Retry-After"]) > 0
    assert other.get("/api/v1/incidents").status_code == 200


def test_the_api_rate_limit_leaves_the_pages_alone(app, api_client, client, monkeypatch):
    """The API's budget is the API's: pages are neither counted nor limited by it."""
    monkeypatch.setitem(app.config, "API_RATE_LIMIT", "3 per minute")
    api, _ = api_client("employee")
    pages = [client.get("/login") for _ in range(5)]
    assert [page.status_code for page in pages] == [200] * 5
    assert not [p for p in pages if "X-RateLimit-Limit" in p.headers]
    assert [api.get("/api/v1/incidents").status_code for _ in range(4)] == [200, 200, 200, 429]
