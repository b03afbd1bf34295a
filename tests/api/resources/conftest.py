"""The request builders of ``tests/requests`` (an organisation, catalog items, orders), for
the API resources' tests."""

from tests.incidents.conftest import queue  # noqa: F401
from tests.portal.conftest import business_service  # noqa: F401
from tests.requests.conftest import make_item, org, place  # noqa: F401
from tests.sla.conftest import calendar_row, policy  # noqa: F401
