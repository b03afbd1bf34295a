"""The people picker in a real browser: an agent finds the caller by part of a name."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import RESULTS
from tests.browser.test_shell import sign_in, unexpected

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_agent_picks_the_caller_by_name(page):
    sign_in(page, "agent")
    page.goto("/incidents/new")
    caller = page.get_by_label("Caller (username)")
    caller.press_sequentially("delacr", delay=40)
    choice = page.locator("#caller-suggestions [data-pick]", has_text="Claire Delacroix")
    choice.wait_for()
    assert page.locator("#caller-suggestions").get_by_text("@").count() > 0  # staff see e-mail
    RESULTS.mkdir(exist_ok=True)
    page.screenshot(path=str(RESULTS / "people_picker_suggestions.png"))
    choice.click()
    assert caller.input_value() == "c.delacroix"
    assert page.locator("#caller-suggestions [data-pick]").count() == 0
    page.get_by_label("Short description").fill("Cannot print to the 3rd floor printer")
    page.get_by_role("button", name="Open incident").click()
    page.wait_for_url(re.compile(r"/incidents/INC\d{7}$"))
    expect(page.get_by_text("Claire Delacroix").first).to_be_visible()
    assert unexpected(page.console_errors) == []


def test_keyboard_chooses_a_suggestion(page):
    sign_in(page, "admin")
    page.goto("/admin/groups/new")
    manager = page.get_by_label("Manager (username)")
    manager.press_sequentially("okafor", delay=40)
    page.locator("#manager-suggestions [data-pick]").first.wait_for()
    manager.press("ArrowDown")
    page.keyboard.press("Enter")
    assert manager.input_value() == "m.okafor"
    assert unexpected(page.console_errors) == []


def test_an_optional_picker_left_empty_lets_the_form_submit(page):
    """An optional picker rendered ``required="None"``, which the browser read as required:
    a group without a manager could not be created. Every field is submitted, empties too."""
    sign_in(page, "admin")
    page.goto("/admin/groups/new")
    manager = page.get_by_label("Manager (username)")
    assert manager.get_attribute("required") is None
    page.get_by_label("Name", exact=True).fill("Night shift")
    page.get_by_label("Email", exact=True).fill("")
    page.get_by_label("Description").fill("")
    manager.fill("")
    page.get_by_role("button", name="Create group").click()
    expect(page.get_by_role("heading", name="Night shift")).to_be_visible()
    assert "/admin/groups/new" not in page.url
    assert unexpected(page.console_errors) == []
