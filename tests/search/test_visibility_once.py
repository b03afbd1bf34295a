"""A search builds each source's visibility restriction once: a domain's may be a subquery
that costs about a millisecond of Python to build (the catalog's), and a search used it up to
three times (whether the source is a tab, the count, the page)."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest


@pytest.mark.parametrize("q", ["docking", "docking station dead", "dock"])
def test_each_source_builds_its_restriction_once_per_search(
    app, db, monkeypatch, make_user, make_incident, q
):
    from app.search import query
    from app.search import sources as registry

    calls: dict[str, int] = {}

    def counted(source: Any) -> Any:
        def visible(user: Any) -> Any:
            calls[source.name] = calls.get(source.name, 0) + 1
            return source.visible(user)

        return dataclasses.replace(source, visible=visible)

    monkeypatch.setattr(
        registry, "_sources", {name: counted(s) for name, s in registry._sources.items()}
    )
    agent = make_user(roles=["agent"])
    employee = make_user()
    incident = make_incident(caller=employee, short_description="Docking station dead")
    with app.test_request_context():
        found = query.search(agent, q)
        theirs = query.search(employee, q, source="ticket")
    assert [h.document.title for h in found.hits] == [f"{incident.number} Docking station dead"]
    assert [h.document.title for h in theirs.hits] == [f"{incident.number} Docking station dead"]
    assert calls == {name: 2 for name in registry._sources}  # one per search, two searches
