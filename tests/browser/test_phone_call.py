"""An agent logs a phone call from the console in a real browser: picks the caller by name,
gives it to a person of the Service Desk, and records that it was solved on the call; a first
try without the resolution notes is refused on the form and saves nothing."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import RESULTS
from tests.browser.test_shell import sign_in, unexpected

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_an_agent_logs_a_call_resolved_on_the_call(page):
    sign_in(page, "agent")
    page.wait_for_url(re.compile(r"/$"))
    page.goto("/incidents/")
    page.get_by_role("link", name="Log a call").click()
    page.wait_for_url(re.compile(r"/incidents/new\?channel=phone$"))
    expect(page.get_by_role("heading", name="Log a call")).to_be_visible()
    expect(page.get_by_label("Channel")).to_have_value("phone")

    caller = page.get_by_label("Caller (username)")
    caller.press_sequentially("schultz", delay=40)
    page.locator("#caller-suggestions [data-pick]", has_text="Emma Schultz").click()
    assert caller.input_value() == "employee"
    page.get_by_label("Short description").fill("Outlook asks for the password again and again")
    page.get_by_label("Description", exact=True).fill(
        "Since this morning, after the password change."
    )
    page.get_by_label("Impact").select_option("3")
    page.get_by_label("Urgency").select_option("2")
    page.get_by_label("Assignment group").select_option(label="Service Desk")
    assignee = page.get_by_label("Assigned to")
    expect(assignee.locator("option", has_text="Tomás Álvarez")).to_be_attached()
    assignee.select_option(label="Tomás Álvarez")

    notes = page.get_by_label("Resolution notes")
    expect(notes).to_be_hidden()
    page.get_by_label("Resolved on the call").check()
    expect(notes).to_be_visible()
    page.get_by_role("button", name="Open incident").click()  # no code, no notes yet

    expect(page.get_by_text("Describe how it was resolved.")).to_be_visible()
    expect(page.get_by_text("Choose a resolution code.")).to_be_visible()
    expect(page.get_by_label("Caller (username)")).to_have_value("employee")
    page.get_by_label("Resolution code").select_option(label="User instructed / how-to")
    page.get_by_label("Resolution notes").fill("Removed the old saved password from Outlook.")
    page.get_by_role("button", name="Open incident").click()

    page.wait_for_url(re.compile(r"/incidents/INC\d{7}$"))
    number = page.url.rsplit("/", 1)[-1]
    expect(page.get_by_text(f"{number} opened and resolved for Emma Schultz.")).to_be_visible()
    expect(page.get_by_text("via phone")).to_be_visible()
    expect(page.get_by_text("Removed the old saved password from Outlook.").first).to_be_visible()
    RESULTS.mkdir(exist_ok=True)
    page.screenshot(path=str(RESULTS / "phone_call_resolved.png"), full_page=True)
    refused_on_purpose = "status of 422"
    assert [e for e in unexpected(page.console_errors) if refused_on_purpose not in e] == []
