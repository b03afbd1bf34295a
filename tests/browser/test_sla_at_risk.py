"""An agent opens the clocks at risk in their queues, reads a chance and why, and follows the
ticket to its SLA panel, where the same forecast shows; in a real browser, on the demo."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_shell import sign_in, unexpected

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_agent_follows_the_most_likely_breach_to_its_ticket(page):
    sign_in(page, "agent")
    page.wait_for_url(re.compile(r"/$"))
    nav = page.get_by_role("navigation", name="Main navigation")
    nav.get_by_role("link", name="Clocks at risk", exact=True).click()
    page.wait_for_url(re.compile(r"/sla/at-risk"))
    expect(page.get_by_role("heading", name="Clocks at risk")).to_be_visible()

    table = page.get_by_role("region", name="Running clocks by chance of breach")
    rows = table.locator("tbody tr")
    expect(rows.first).to_be_visible()
    chances = [int(c) for c in re.findall(r"^(\d+) %", "\n".join(
        table.locator(".dg-chance").all_inner_texts()), re.M)]  # fmt: skip
    assert chances, "the demo has running clocks with a forecast"
    assert chances == sorted(chances, reverse=True)

    # Narrow the list the way a person does: every field of the form sent, the queue chosen.
    page.get_by_label("Queue", exact=True).select_option(index=1)
    page.get_by_label("Priority", exact=True).select_option(value="")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(re.compile(r"queue=\d+"))
    assert page.get_by_text("not understood").count() == 0

    incident = rows.filter(has=page.locator('a[href^="/incidents/"]')).first
    expect(incident).to_contain_text("took longer from here")
    link = incident.locator('a[href^="/incidents/"]')
    number = link.inner_text()
    link.click()
    page.wait_for_url(re.compile(rf"/incidents/{number}$"))

    panel = page.get_by_role("region", name="Service levels")
    # Computed again a moment later: the same stratum, the chance to the percent may move on.
    # The ticket may run a response and a resolution clock: each has its forecast.
    forecast = panel.locator(".dg-sla-forecast").first
    expect(forecast).to_contain_text(re.compile(r"Chance of breach \d+ %"))
    expect(forecast).to_contain_text("from here")
    assert unexpected(page.console_errors) == []
