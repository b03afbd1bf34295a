"""Builders shared with the incident tests."""

from tests.incidents.conftest import make_incident, queue  # noqa: F401  (shared builders)
