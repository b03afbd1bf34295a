"""Error pages, bad input, the health check and request ids."""

from __future__ import annotations

import logging

import pytest

from tests.conftest import Client, build_app


def test_unknown_page_is_a_friendly_404(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    body = response.get_data(as_text=True)
    assert "Page not found" in body
    assert "Traceback" not in body


def test_wrong_method_is_405_with_allow_header(client):
    response = client.open("DELETE", "/login")
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]
    assert "does not accept" in response.get_data(as_text=True)


def test_oversized_post_is_413(app, client):
    limit = app.config["MAX_CONTENT_LENGTH"]
    response = client.post("/login", {"username": "x", "password": "y" * (limit + 10)})
    assert response.status_code == 413
    assert "larger than the limit" in response.get_data(as_text=True)


def test_json_clients_get_a_json_error_envelope(client):
    response = client.get("/nothing-here", headers={"Accept": "application/json"})
    assert response.status_code == 404
    error = response.get_json()["error"]
    assert error["status"] == 404
    assert error["message"]
    assert error["request_id"]


def test_unexpected_errors_show_no_stack_trace(tmp_path, caplog):
    app = build_app(f"sqlite:///{tmp_path / 'x.sqlite3'}", tmp_path / "instance")

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    app.view_functions["boom"].policy_action = "public"
    client = Client(app.test_client())
    with caplog.at_level(logging.ERROR, logger="app"):
        response = client.get("/boom", headers={"X-Request-ID": "req-42"})
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "Something went wrong" in body
    assert "req-42" in body
    assert "secret internals" not in body
    assert "Traceback" not in body
    assert any("secret internals" in (r.exc_text or "") for r in caplog.records)


def test_health_check_reports_database_and_version(client):
    from app.version import __version__

    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {
        "status": "ok",
        "version": __version__,
        "database": "ok",
        "redis": "not configured",
    }


def test_health_check_fails_when_the_database_is_unreachable(tmp_path):
    app = build_app(f"sqlite:///{tmp_path / 'missing-dir' / 'db.sqlite3'}", tmp_path / "instance")
    response = Client(app.test_client()).get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "unreachable"


def test_health_check_is_ready_but_degraded_when_only_redis_is_down(tmp_path):
    # Nothing listens on port 1: Redis is down, the database is fine.
    app = build_app(
        f"sqlite:///{tmp_path / 'db.sqlite3'}",
        tmp_path / "instance",
        REDIS_URL="redis://127.0.0.1:1/0",
    )
    client = Client(app.test_client())
    for path in ("/healthz", "/healthz/ready"):
        response = client.get(path)
        assert response.status_code == 200
        body = response.get_json()
        assert body["status"] == "degraded"
        assert body["database"] == "ok"
        assert body["redis"] == "unreachable"


def test_liveness_answers_without_the_database(tmp_path):
    app = build_app(f"sqlite:///{tmp_path / 'missing-dir' / 'db.sqlite3'}", tmp_path / "instance")
    client = Client(app.test_client())
    assert client.get("/healthz/ready").status_code == 503
    response = client.get("/healthz/live")
    assert response.status_code == 200
    assert response.get_json()["status"] == "ok"


def test_request_ids_are_echoed_or_generated(client):
    given = client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert given.headers["X-Request-ID"] == "abc-123"
    made = client.get("/healthz", headers={"X-Request-ID": "bad id <script>"})
    assert made.headers["X-Request-ID"] != "bad id <script>"
    assert len(made.headers["X-Request-ID"]) == 32


def test_log_lines_carry_the_request_id(client, caplog):
    with caplog.at_level(logging.INFO, logger="app.access"):
        client.get("/healthz", headers={"X-Request-ID": "trace-me"})
    assert any(getattr(r, "request_id", None) == "trace-me" for r in caplog.records)


def test_pages_send_security_headers(client):
    response = client.get("/login")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == "no-store"


def _production_client(tmp_path, **extra):
    import secrets

    app = build_app(
        f"sqlite:///{tmp_path / 'db.sqlite3'}",
        tmp_path / "instance",
        DESKGRAPH_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(48),
        **extra,
    )
    return Client(app.test_client())


def test_production_over_https_sends_hsts_for_a_year(tmp_path):
    client = _production_client(tmp_path)
    secure = client.get("/login", base_url="https://desk.example.com")
    assert secure.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    # Over plain HTTP the header means nothing to a browser and is not sent.
    assert "Strict-Transport-Security" not in client.get("/login").headers


def test_hsts_behind_a_trusted_proxy_and_without_subdomains(tmp_path):
    client = _production_client(
        tmp_path, DESKGRAPH_TRUSTED_PROXIES="1", DESKGRAPH_HSTS_SUBDOMAINS="false"
    )
    response = client.get("/login", headers={"X-Forwarded-Proto": "https"})
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"


def test_development_sends_no_hsts(client):
    response = client.get("/login", base_url="https://localhost")
    assert "Strict-Transport-Security" not in response.headers


@pytest.fixture
def dead_database_app(tmp_path):
    """An application whose PostgreSQL is down (nothing listens on port 1)."""
    return build_app("postgresql+psycopg://postgres@127.0.0.1:1/test", tmp_path / "instance")


def _assert_outage_page(response, request_id):
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    body = response.get_data(as_text=True)
    assert "Temporarily unavailable" in body
    assert request_id in body
    assert "Traceback" not in body
    assert "psycopg" not in body


def test_database_outage_is_a_static_503_with_a_reference(dead_database_app, caplog):
    client = dead_database_app.test_client()
    with client.session_transaction() as session:  # a signed-in person: the user loader fails
        session["_user_id"] = "1:1"  # a user id and session generation
        session["_fresh"] = True
    with caplog.at_level(logging.ERROR, logger="app"):
        response = client.get("/", headers={"X-Request-ID": "outage-1"})
    _assert_outage_page(response, "outage-1")
    assert any("database unavailable" in r.getMessage() for r in caplog.records)


def test_database_outage_on_a_missing_page_is_still_a_503(dead_database_app):
    # The 404 page's shell looks up the signed-in person, which needs the database.
    client = dead_database_app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = "1:1"  # a user id and session generation
    response = client.get("/no/such/page", headers={"X-Request-ID": "outage-2"})
    _assert_outage_page(response, "outage-2")


def test_database_outage_answers_json_clients_in_json(dead_database_app):
    client = dead_database_app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = "1:1"  # a user id and session generation
    response = client.get("/", headers={"Accept": "application/json", "X-Request-ID": "o-3"})
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert response.get_json()["error"]["request_id"] == "o-3"
