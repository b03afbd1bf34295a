"""A person reads the desk in Swedish by choosing it on My account, and goes back to English."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_shell import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SWEDISH_DATE = re.compile(r"\b\d{1,2} dec\. 2026 \d{2}:\d{2}\b")


def save_preferences(page, language_label: str, language: str, button: str) -> None:
    """Choose ``language`` and submit the whole form (the time zone as it is)."""
    zone_field = page.locator("#pref-timezone")
    zone = zone_field.input_value()
    page.get_by_label(language_label, exact=True).select_option(language)
    zone_field.select_option(zone)
    page.get_by_role("button", name=button).click()


def test_a_person_switches_the_desk_to_swedish_and_back(page):
    sign_in(page, "employee")
    page.wait_for_url(re.compile(r"/$"))
    page.goto("/account")
    expect(page.get_by_role("heading", name="My account", level=1)).to_be_visible()

    save_preferences(page, "Language", "sv", "Save preferences")
    page.wait_for_url(re.compile(r"/account$"))
    expect(page.locator("html")).to_have_attribute("lang", "sv")
    expect(page.get_by_role("alert")).to_contain_text("Inställningarna är sparade.")
    expect(page.get_by_role("heading", name="Mitt konto", level=1)).to_be_visible()
    navigation = page.get_by_role("navigation", name="Huvudnavigering")
    expect(navigation.get_by_role("link", name="Start")).to_be_visible()
    expect(navigation.get_by_role("link", name="Mina ärenden")).to_be_visible()
    last_sign_in = page.locator("dt", has_text="Senaste inloggning").locator(
        "xpath=following-sibling::dd[1]"
    )
    expect(last_sign_in).to_have_text(SWEDISH_DATE)

    page.get_by_role("link", name="Start", exact=True).first.click()
    expect(page.locator("html")).to_have_attribute("lang", "sv")
    page.goto("/notifications")
    expect(page.get_by_role("heading", name="Aviseringar", level=1)).to_be_visible()

    page.goto("/account")
    save_preferences(page, "Språk", "", "Spara inställningar")  # as the browser says: English
    page.wait_for_url(re.compile(r"/account$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("alert")).to_contain_text("Preferences saved.")
    expect(page.get_by_role("heading", name="My account", level=1)).to_be_visible()
    expect(
        page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Home")
    ).to_be_visible()
    assert page.console_errors == []
