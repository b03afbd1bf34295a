"""Builders for search tests: incidents opened through the service, CIs, catalog items."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def make_incident(db, make_user) -> Any:
    """Builder: ``make_incident(caller=..., **fields)`` → a committed incident."""
    from app.incidents import services

    def make(caller: Any = None, **values: Any) -> Any:
        caller = caller or make_user()
        values.setdefault("short_description", "Laptop does not start")
        incident = services.open_incident(caller=caller, opened_by=caller, **values)
        db.session.commit()
        return incident

    return make


@pytest.fixture
def comment(db) -> Any:
    """``comment(incident, author, body, public=...)``, committed."""
    from app.incidents import services

    def add(incident: Any, author: Any, body: str, *, public: bool) -> Any:
        entry = services.comment(incident, author=author, body=body, public=public)
        db.session.commit()
        return entry

    return add


@pytest.fixture
def find(app, db) -> Any:
    """``find(user, "words", source="ticket")`` → the titles of the hits, best first."""
    from app.search.query import search

    def run(user: Any, q: str, **kwargs: Any) -> list[str]:
        with app.test_request_context():
            return [h.document.title for h in search(user, q, **kwargs).hits]

    return run


from tests.incidents.conftest import queue  # noqa: E402, F401  (shared builders)
from tests.requests.conftest import make_item, org  # noqa: E402, F401
