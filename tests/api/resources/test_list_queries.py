"""API lists cost a constant number of queries, whatever the number of rows on the page
(issue 18: request, item and task lists ran a handful of queries per row)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import count_queries

MANAGER = [{"kind": "manager"}]


def _cost(api: Any, url: str, rows: int) -> int:
    with count_queries() as statements:
        response = api.get(url)
    assert response.status_code == 200, response.get_json()
    assert len(response.get_json()["items"]) == rows
    return len(statements)


@pytest.mark.parametrize(
    ("url", "who"),
    [
        ("/api/v1/requests?limit=100", "kim"),
        ("/api/v1/requests?limit=100", "gina"),
        ("/api/v1/request-items?limit=100", "kim"),
        ("/api/v1/request-items?limit=100", "ivan"),
        ("/api/v1/tasks?limit=100", "ivan"),
    ],
)
def test_a_list_costs_the_same_queries_for_5_and_25_rows(
    api_client, org, make_item, place, url, who
):
    waiting = make_item(approval_policy=MANAGER)
    working = make_item()
    api, _ = api_client(user=getattr(org, who))
    api.get("/api/v1/requests")  # the token's last use is noted once: not in the count
    for n in range(5):
        place(waiting if n % 2 else working, orderer=org.kim)
    five = _cost(api, url, 5 if "tasks" not in url else 3)
    for n in range(20):
        place(waiting if n % 2 else working, orderer=org.kim)
    assert _cost(api, url, 25 if "tasks" not in url else 13) == five
