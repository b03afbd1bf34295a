"""Builders for the report pages' tests: the incident, queue, SLA and service builders of their
own test folders."""

from __future__ import annotations

from tests.incidents.conftest import make_incident, queue  # noqa: F401  (shared builders)
from tests.portal.conftest import business_service  # noqa: F401  (shared builder)
from tests.sla.conftest import calendar_row, policy  # noqa: F401  (shared builders)
