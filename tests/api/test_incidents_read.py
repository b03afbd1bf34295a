"""Listing and reading incidents through the API, as the pages decide who sees what."""

from __future__ import annotations


def test_an_agent_lists_and_reads_incidents_with_an_etag(api_client, make_user, make_incident):
    caller = make_user(roles=["employee"])
    incident = make_incident(caller, impact=2, urgency=2)
    api, _agent = api_client("agent")
    listed = api.get("/api/v1/incidents?sort=opened&direction=desc")
    assert listed.status_code == 200, listed.get_json()
    assert incident.number in [i["number"] for i in listed.get_json()["items"]]
    read = api.get(f"/api/v1/incidents/{incident.number}")
    assert read.status_code == 200
    body = read.get_json()
    assert body["caller"]["username"] == caller.username
    assert body["opened_at"].endswith("Z")
    assert read.headers["ETag"] == f'"incident-{incident.id}-v{body["version"]}"'


def test_an_employee_token_sees_only_what_the_employee_sees(api_client, make_user, make_incident):
    api, me = api_client("employee")
    mine = make_incident(me)
    theirs = make_incident(make_user(roles=["employee"]))
    numbers = [i["number"] for i in api.get("/api/v1/incidents").get_json()["items"]]
    assert mine.number in numbers
    assert theirs.number not in numbers
    refused = api.get(f"/api/v1/incidents/{theirs.number}")
    assert refused.status_code == 404
    assert refused.mimetype == "application/problem+json"
    assert refused.get_json()["status"] == 404


def test_pages_follow_the_cursor_to_the_end(api_client, make_user, make_incident):
    caller = make_user()
    made = {make_incident(caller, short_description=f"Thing {n}").number for n in range(5)}
    api, _ = api_client("agent")
    seen, cursor, pages = [], None, 0
    while True:
        url = "/api/v1/incidents?limit=2&sort=number" + (f"&cursor={cursor}" if cursor else "")
        page = api.get(url).get_json()
        seen += [i["number"] for i in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert made <= set(seen)
    assert len(seen) == len(set(seen))
    assert pages >= 3


def test_filters_are_checked(api_client):
    api, _ = api_client("agent")
    response = api.get("/api/v1/incidents?state=exploded&colour=red")
    assert response.status_code == 422
    fields = {e["field"] for e in response.get_json()["errors"]}
    assert fields == {"state.0", "colour"}, response.get_json()
    assert api.get("/api/v1/incidents?cursor=not-a-cursor").status_code == 422


def test_a_page_costs_the_same_queries_however_many_incidents(
    api_client, make_user, make_incident, make_ci, db
):
    from tests.conftest import count_queries

    api, agent = api_client("agent")
    api.get("/api/v1/incidents")  # the token's last use is noted once: not in the count
    caller = make_user()
    ci = make_ci("erp-app-01")

    def cost() -> int:
        with count_queries() as statements:
            assert api.get("/api/v1/incidents?limit=50").status_code == 200
        return len(statements)

    make_incident(caller, ci_ids=[ci.id])
    one = cost()
    for n in range(8):
        parent = make_incident(caller, short_description=f"Thing {n}", ci_ids=[ci.id])
    make_incident(caller).parent = parent
    db.session.commit()
    assert cost() == one


def test_the_search_box_finds_a_number_or_words_as_the_console_does(
    api_client, make_user, make_incident, db
):
    from app.incidents import services

    staff_api, agent = api_client("agent")
    caller_api, caller = api_client("employee")
    vpn = make_incident(caller, short_description="VPN drops every hour")
    printer = make_incident(caller, short_description="Printer jams")
    services.comment(printer, author=agent, body="Suspect the fuser unit", public=False)
    db.session.commit()

    def found(api, q: str) -> set[str]:
        response = api.get("/api/v1/incidents", query_string={"q": q, "view": "all"})
        assert response.status_code == 200, response.get_json()
        return {i["number"] for i in response.get_json()["items"]}

    for api in (staff_api, caller_api):
        assert found(api, vpn.number.lower()) == {vpn.number}  # a number, in any case
        assert found(api, " vpn ") == {vpn.number}  # words of its texts
        assert found(api, "   ") == {vpn.number, printer.number}  # blank: no filter
    assert found(staff_api, "fuser") == {printer.number}  # work notes: IT staff only
    assert found(caller_api, "fuser") == set()
