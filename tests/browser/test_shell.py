"""The UI shell in a real browser: sign-in, navigation per role, errors, sign-out, mobile."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.slow]
DEMO_PASSWORD = "deskgraph-demo"


def sign_in(page, username: str, password: str = DEMO_PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()


def unexpected(errors: list[str]) -> list[str]:
    """Console errors, less the refused sign-in or 403 page a test provokes on purpose (Chromium
    logs any 4xx document as a failed resource)."""
    expected = ("status of 401", "status of 403")
    return [e for e in errors if not any(x in e for x in expected)]


def test_admin_signs_in_and_finds_a_person(page):
    page.goto("/admin/users")
    assert "/login?next=" in page.url  # sent to sign in first
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password", exact=True).fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_text("The username or password is not correct.").is_visible()

    page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/admin/users$"))  # back where they were going
    nav = page.get_by_role("navigation", name="Main navigation")
    for section in ("Self-service", "Administration"):
        expect(nav.get_by_text(section)).to_be_visible()
    assert nav.get_by_role("link", name="People").get_attribute("aria-current") == "page"

    page.get_by_label("Search").fill("schultz")
    page.get_by_role("button", name="Filter").click()
    rows = page.locator("table tbody tr")
    assert rows.count() == 1
    page.get_by_role("link", name="Emma Schultz").click()
    expect(page.get_by_role("heading", name="Emma Schultz")).to_be_visible()
    assert page.get_by_label("Manager (username)").input_value() == "l.marchetti"
    assert unexpected(page.console_errors) == []


def test_employee_sees_self_service_only(page):
    sign_in(page, "employee")
    page.wait_for_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", name="Hello, Emma")).to_be_visible()
    nav = page.get_by_role("navigation", name="Main navigation")
    expect(nav.get_by_text("Self-service")).to_be_visible()
    assert nav.get_by_text("Administration").count() == 0
    assert nav.get_by_text("Agent console").count() == 0
    response = page.goto("/admin/users")
    assert response.status == 403
    expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
    assert unexpected(page.console_errors) == []


def test_agent_sees_queues_and_signs_out(page):
    sign_in(page, "agent")
    page.wait_for_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", name="Your work")).to_be_visible()
    expect(page.get_by_text("Service Desk").first).to_be_visible()
    page.get_by_role("button", name=re.compile("Tomás Álvarez")).click()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/login"))
    expect(page.get_by_text("You are signed out.")).to_be_visible()
    assert page.console_errors == []


def test_navigation_collapses_on_a_phone(page):
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, "owner")
    page.wait_for_url(re.compile(r"/$"))
    link = page.get_by_role("link", name="SLA & reports")
    assert not link.is_visible()
    page.get_by_role("button", name="Open navigation").click()
    link.wait_for(state="visible")
    link.click()
    page.wait_for_url(re.compile(r"/sla/$"))
    expect(page.get_by_role("heading", name="SLA & reports")).to_be_visible()
    assert page.console_errors == []
