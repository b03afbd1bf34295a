"""Builders for incident tests: a queue with agents, and incidents opened through the service."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def queue(db, make_user) -> Any:
    """Builder: ``queue("Network", members=[...])`` → a committed assignment group."""
    from app.auth import groups

    def make(name: str = "Service Desk", members: tuple = (), **values: Any) -> Any:
        admin = make_user(roles=["admin"])
        group = groups.create_group(actor=admin, name=name, **values)
        groups.add_members(group, list(members), actor=admin)
        db.session.commit()
        return group

    return make


@pytest.fixture
def make_incident(db, make_user) -> Any:
    """Builder: ``make_incident(caller=..., **fields)`` → a committed incident."""
    from app.incidents import services

    def make(caller: Any = None, opened_by: Any = None, **values: Any) -> Any:
        caller = caller or make_user()
        values.setdefault("short_description", "Laptop does not start")
        incident = services.open_incident(caller=caller, opened_by=opened_by or caller, **values)
        db.session.commit()
        return incident

    return make
