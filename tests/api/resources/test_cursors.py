"""Keyset cursors: a page follows the last row of the page before, so rows added or removed
meanwhile never make a list skip or repeat a row; a cursor cannot be forged or reused with
another sort."""

from __future__ import annotations

from datetime import timedelta

from app.timeutils import utc_now


def _numbers(response) -> list[str]:
    assert response.status_code == 200, response.get_json()
    return [i["number"] for i in response.get_json()["items"]]


def test_an_incident_opened_between_two_pages_is_neither_skipped_nor_repeated(
    api_client, make_user, make_incident
):
    api, _ = api_client("agent")
    caller = make_user()
    start = utc_now() - timedelta(hours=1)
    made = [
        make_incident(caller, short_description=f"Cursor {n}", now=start + timedelta(minutes=n))
        for n in range(5)
    ]
    url = "/api/v1/incidents?sort=opened&direction=desc&limit=2&view=all"
    first = api.get(url)
    assert _numbers(first) == [made[4].number, made[3].number]
    newest = make_incident(caller, short_description="Opened meanwhile")  # sorts first
    cursor = first.get_json()["next_cursor"]
    second = api.get(f"{url}&cursor={cursor}")
    assert _numbers(second) == [made[2].number, made[1].number]
    third = api.get(f"{url}&cursor={second.get_json()['next_cursor']}")
    assert _numbers(third) == [made[0].number]
    assert third.get_json()["next_cursor"] is None
    assert newest.number in _numbers(api.get(url))


def test_a_task_list_goes_on_after_rows_are_added_at_its_end(api_client, org, make_item, place):
    ivan, _ = api_client(user=org.ivan)
    item = make_item()
    tasks = [place(item).tasks[0].number for _ in range(3)]
    first = ivan.get("/api/v1/tasks?limit=2")
    assert _numbers(first) == tasks[:2]
    later = place(item).tasks[0].number  # opened last: sorts last (oldest first)
    rest = ivan.get(f"/api/v1/tasks?limit=2&cursor={first.get_json()['next_cursor']}")
    assert _numbers(rest) == [tasks[2], later]


def test_a_cursor_cannot_be_forged_or_reused_with_another_sort(
    api_client, make_user, make_incident
):
    api, _ = api_client("agent")
    caller = make_user()
    for n in range(3):
        make_incident(caller, short_description=f"Forged {n}")
    cursor = api.get("/api/v1/incidents?limit=1&sort=opened").get_json()["next_cursor"]
    assert cursor
    tampered = cursor[:-2] + ("AA" if not cursor.endswith("AA") else "BB")
    forged = api.get(f"/api/v1/incidents?limit=1&sort=opened&cursor={tampered}")
    assert forged.status_code == 422
    assert forged.get_json()["errors"][0]["field"] == "cursor"
    other = api.get(f"/api/v1/incidents?limit=1&sort=number&cursor={cursor}")
    assert other.status_code == 422
    assert "same filters and sort" in other.get_json()["errors"][0]["message"]
