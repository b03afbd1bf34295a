"""Builders shared with the incident and request tests."""

from tests.incidents.conftest import make_incident, queue  # noqa: F401  (shared builders)
from tests.requests.conftest import make_item, org, place  # noqa: F401  (shared builders)
