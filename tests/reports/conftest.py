"""Builders for the reports' tests: the SLA tests' queues, calendars, policies and incidents,
and the role homes' business services."""

from __future__ import annotations

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
