"""API test helpers: a token for a new person holding some roles, and a client that sends it.

def test_something(api_client):
    api, user = api_client("agent")               # a person with these roles, and a token
    response = api.get("/api/v1/incidents")
    api_read_only, _ = api_client("employee", scopes=["incidents:read"])
    api.post("/api/v1/incidents", json={...})     # JSON bodies
    api.patch(url, json={...}, headers={"If-Match": etag})
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest

from app.api.tokens import services as tokens


class ApiClient:
    """Sends ``Authorization: Bearer <token>`` on every request (no cookies, no CSRF)."""

    def __init__(self, flask_client: Any, token: str) -> None:
        self._client = flask_client
        self.token = token

    def open(self, method: str, url: str, **kwargs: Any) -> Any:
        import contextvars

        headers = {"Authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})}
        return contextvars.Context().run(
            self._client.open, url, method=method, headers=headers, **kwargs
        )

    def get(self, url: str, **kwargs: Any) -> Any:
        return self.open("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> Any:
        return self.open("POST", url, **kwargs)

    def patch(self, url: str, **kwargs: Any) -> Any:
        return self.open("PATCH", url, **kwargs)

    def put(self, url: str, **kwargs: Any) -> Any:
        return self.open("PUT", url, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> Any:
        return self.open("DELETE", url, **kwargs)


@pytest.fixture
def make_token(db: Any) -> Any:
    """``make_token(user, scopes=[...], expires_days=None, name="test")`` → the secret."""

    def make(
        user: Any,
        *,
        scopes: Iterable[str] = (),
        expires_days: int | None = None,
        name: str = "test",
    ) -> str:
        made = tokens.create_token(user, name=name, scopes=scopes, expires_days=expires_days)
        db.session.commit()
        return made.secret

    return make


@pytest.fixture
def api_client(app: Any, make_user: Any, make_token: Any) -> Any:
    """Builder: ``api_client("agent", scopes=[...], user=None)`` → (ApiClient, user)."""

    def build(
        *roles: str, scopes: Iterable[str] = (), user: Any = None, **token: Any
    ) -> tuple[ApiClient, Any]:
        person = user if user is not None else make_user(roles=roles or ("employee",))
        return ApiClient(app.test_client(), make_token(person, scopes=scopes, **token)), person

    return build


@pytest.fixture
def make_incident(db: Any) -> Any:
    """``make_incident(caller, **fields)`` → a committed incident reported by ``caller``."""
    from app.incidents import services

    def make(caller: Any, **fields: Any) -> Any:
        fields.setdefault("short_description", "The printer is on fire")
        incident = services.open_incident(caller=caller, opened_by=caller, **fields)
        db.session.commit()
        return incident

    return make
