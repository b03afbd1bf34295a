"""Builders for the reports' tests: the SLA tests' queues, calendars, policies and incidents,
and the role homes' business services."""

from __future__ import annotations

from typing import Any

from tests.portal.conftest import business_service  # noqa: F401  (shared builder)
from tests.sla.conftest import (  # noqa: F401  (shared builders)
    at,
    calendar_row,
    make_incident,
    make_item,
    org,
    place,
    policy,
    queue,
)


def behind(db: Any, name: str, scope: Any, viewer: Any, **dimension: Any) -> set[int]:
    """The ids of the tickets behind a figure (``tickets_behind``), as a set."""
    from app.reports.measures import tickets_behind

    return set(db.session.scalars(tickets_behind(name, scope, viewer, **dimension)))
