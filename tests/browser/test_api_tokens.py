"""The API in a real browser: a person makes a token in their settings, sees it once, uses it,
and revokes it; the API's documentation page renders under the strict CSP."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_shell import sign_in, unexpected

pytestmark = [pytest.mark.browser]


def test_a_person_makes_uses_and_revokes_a_token(page):
    sign_in(page, "employee")
    page.goto("/settings/api-tokens/")
    expect(page.get_by_role("heading", name="API tokens")).to_be_visible()
    page.get_by_label("Token name").fill("laptop script")
    page.get_by_label("incidents:read", exact=True).check()
    page.get_by_label("Expires after (days)").fill("30")
    page.get_by_role("button", name="Make token").click()
    shown = page.get_by_label("New token")
    expect(shown).to_be_visible()
    token = shown.input_value()
    assert token.startswith("dg_")

    # The token works, with its scope and the person's rights, not the session's.
    headers = {"Authorization": f"Bearer {token}"}
    listed = page.request.get("/api/v1/incidents", headers=headers)
    assert listed.status == 200
    assert "items" in listed.json()
    refused = page.request.post(
        "/api/v1/incidents", data={"short_description": "x"}, headers=headers
    )
    assert refused.status == 403  # a read-only token

    # Shown once: it is not on the page again, but the token is listed with its last use.
    page.goto("/settings/api-tokens/")
    expect(page.get_by_label("New token")).to_have_count(0)
    row = page.get_by_role("row").filter(has_text="laptop script")
    expect(row).to_contain_text("incidents:read")
    expect(row).to_contain_text("Active")
    expect(row.get_by_role("cell").nth(3)).not_to_have_text("Never")

    row.get_by_role("button", name="Revoke token laptop script").click()
    expect(page.get_by_text("is revoked")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="laptop script")).to_contain_text("Revoked")
    assert page.request.get("/api/v1/incidents", headers=headers).status == 401
    assert unexpected(page.console_errors) == []


def test_the_api_documentation_renders_under_the_csp(page):
    page.goto("/api/docs")
    expect(page.get_by_text("Deskgraph API").first).to_be_visible()
    expect(page.get_by_text("/api/v1/incidents/{number}/transitions")).to_be_visible()
    assert page.console_errors == []
