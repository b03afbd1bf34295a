"""The token settings page and the API's problem texts are in the reader's language; the
machine fields of a problem stay English."""

from __future__ import annotations

from tests.api.conftest import ApiClient

SWEDISH = {"Accept-Language": "sv-SE,sv;q=0.9"}


def test_the_token_page_is_swedish_for_a_swedish_browser_and_english_by_default(signed_in):
    client, _ = signed_in("employee")
    made = client.post(
        "/settings/api-tokens/",
        {"name": "skript", "scopes": ["incidents:read"], "expires_days": ""},
        headers=SWEDISH,
    ).get_data(as_text=True)
    assert "Din nyckel ”skript” är klar." in made
    swedish = client.get("/settings/api-tokens/", headers=SWEDISH).get_data(as_text=True)
    assert "Dina nycklar" in swedish
    assert "Senast använd" in swedish
    assert "Aktiv" in swedish
    english = client.get("/settings/api-tokens/").get_data(as_text=True)
    assert "Your tokens" in english
    assert "Dina nycklar" not in english


def test_a_swedish_readers_problem_is_worded_in_swedish_with_english_fields(
    app, api_client, make_user
):
    api, _ = api_client(
        "employee", scopes=["incidents:read"], user=make_user(roles=("employee",), language="sv")
    )
    refused = api.post("/api/v1/incidents", json={"short_description": "Skrivaren"})
    assert refused.status_code == 403
    problem = refused.get_json()
    assert problem["detail"] == "Den här nyckeln saknar omfånget incidents:write."
    assert problem["type"].endswith("/forbidden")

    stranger = ApiClient(app.test_client(), "dg_unknown_token")
    unknown = stranger.get("/api/v1/incidents", headers=SWEDISH).get_json()
    assert unknown["title"] == "Inte inloggad"
    assert unknown["detail"] == "Den här nyckeln är okänd, utgången eller återkallad."
    assert stranger.get("/api/v1/incidents").get_json()["title"] == "Not signed in"


def test_a_swedish_readers_field_errors_are_worded_in_swedish_with_english_field_names(
    api_client, make_user
):
    api, _ = api_client(
        "employee", scopes=["incidents:write"], user=make_user(roles=("employee",), language="sv")
    )
    refused = api.post("/api/v1/incidents", json={"urgency": 12, "colour": "red"})
    assert refused.status_code == 422
    errors = {e["field"]: e["message"] for e in refused.get_json()["errors"]}
    assert errors == {
        "short_description": "Fältet måste finnas med.",
        "urgency": "Måste vara större än eller lika med 1 och mindre än eller lika med 9.",
        "colour": "Okänt fält.",
    }
    assert refused.get_json()["detail"] == "Okända fält: colour."

    english, _ = api_client("employee", scopes=["incidents:write"])
    errors = {
        e["field"]: e["message"]
        for e in english.post("/api/v1/incidents", json={"urgency": "x"}).get_json()["errors"]
    }
    assert errors == {
        "short_description": "Missing data for required field.",
        "urgency": "Not a valid integer.",
    }
