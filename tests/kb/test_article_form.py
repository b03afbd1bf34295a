"""The article form's list of business services: every kind of service, none retired, read
in one statement."""

from __future__ import annotations

import re
from typing import Any

from app.cmdb.graph.vocabulary import Lifecycle
from tests.conftest import count_queries
from tests.kb.helpers import sign_in_as


def test_the_form_offers_services_of_every_service_class_not_retired(
    client: Any, db: Any, people: Any, service_kinds: Any, make_ci: Any
) -> None:
    make_ci("Email", "business_service")
    make_ci("Payroll SaaS", "saas_service")
    make_ci("Team chat", "chat_service", status=Lifecycle.IN_MAINTENANCE)
    make_ci("Old intranet", "business_service", status=Lifecycle.RETIRED)
    make_ci("Old chat", "chat_service", status=Lifecycle.RETIRED)
    make_ci("erp-db-01", "server")
    sign_in_as(client, "author")
    with count_queries() as statements:
        page = client.get("/kb/new").get_data(as_text=True)
    offered = re.search(r'<select[^>]* name="services"[^>]*>(.*?)</select>', page, re.S)[1]
    assert re.findall(r">([^<]+)</option>", offered) == ["Email", "Payroll SaaS", "Team chat"]
    assert len([s for s in statements if "ci_classes" in s]) == 1  # the class tree and CIs
