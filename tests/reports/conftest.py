"""Builders for the reports' tests: the SLA tests' queues, calendars, policies and incidents."""

from __future__ import annotations

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
