"""Issue 21's journey in Swedish, in a real browser: Erik Nilsson (the demo's e.nilsson, who reads
the desk in Swedish) reports a problem and writes on her ticket; the pages, buttons, labels and
messages she meets are Swedish. An agent, who reads English, finds the ticket and her words."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import new_tab, snapshots
from tests.browser.test_shell import sign_in, unexpected

pytestmark = [pytest.mark.browser, pytest.mark.slow]
SUMMARY = "Skrivaren på plan 3 skriver bara ut tomma sidor"
DETAILS = "Sedan i morse kommer alla utskrifter ut tomma."
REPLY = "Det gäller även kopiatorn bredvid."


_snap = snapshots("swedish_journey-")


def test_a_swedish_employee_reports_and_replies_and_an_agent_sees_it(browser, live_server):
    employee, agent = new_tab(browser, live_server), new_tab(browser, live_server)

    sign_in(employee, "e.nilsson")
    expect(employee.locator("html")).to_have_attribute("lang", "sv")
    employee.get_by_role("link", name="Rapportera ett problem").first.click()
    expect(employee.get_by_role("heading", level=1)).to_have_text("Rapportera ett problem")
    employee.get_by_label("Vad är fel?").fill(SUMMARY)
    employee.get_by_label("Detaljer").fill(DETAILS)
    service = employee.get_by_label("Vilken tjänst berörs?")
    expect(service.locator("option", has_text="Jag vet inte")).to_have_count(1)
    service.select_option(label="Jag vet inte")
    employee.get_by_label("Hur mycket hindrar det ditt arbete?").select_option(
        label="Det är irriterande"
    )
    _snap(employee, "1-form")
    employee.get_by_role("button", name="Skicka till servicedesken").click()
    employee.wait_for_url(re.compile(r"/incidents/INC\d{7}$"))
    number = employee.url.rsplit("/", 1)[-1]
    expect(employee.get_by_text(f"Ditt problem är registrerat som {number}")).to_be_visible()
    expect(employee.locator(".dg-state").first).to_have_text("Mottaget, väntar på en handläggare")
    expect(employee.get_by_role("heading", name="Din beskrivning")).to_be_visible()
    _snap(employee, "2-reported")

    employee.get_by_label("Meddelande").fill(REPLY)
    employee.get_by_role("button", name="Skicka", exact=True).click()
    expect(employee.get_by_text(REPLY)).to_be_visible()
    expect(employee.get_by_role("heading", name="Konversation")).to_be_visible()
    expect(employee.get_by_text("Your description")).to_have_count(0)
    _snap(employee, "3-replied")

    # The agent, reading English, finds the ticket in the console and reads her words.
    sign_in(agent, "agent")
    agent.goto(f"/incidents/{number}")
    expect(agent.get_by_role("heading", level=1)).to_have_text(SUMMARY)
    expect(agent.get_by_text(REPLY)).to_be_visible()
    expect(agent.locator(".dg-page-header .dg-state")).to_have_text("New")
    expect(agent.get_by_role("heading", name="Reply or add a work note")).to_be_visible()
    _snap(agent, "4-agent")
    assert unexpected(employee.console_errors) == []
    assert unexpected(agent.console_errors) == []
