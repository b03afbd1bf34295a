"""A major incident in a real browser: an agent proposes one, the service owner finds the
proposal from their home, reads the incident and accepts it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import open_section, snapshots
from tests.browser.test_shell import sign_in, unexpected

pytestmark = [pytest.mark.browser, pytest.mark.slow]


_snap = snapshots("major_incident_journey-")


def _proposals_tile(tab):
    return tab.locator('a[href="/incidents/major-proposals"][data-count]')


def test_agent_proposes_and_the_service_owner_decides(browser, live_server, page):
    owner = page
    employee = browser.new_context(base_url=live_server).new_page()
    agent = browser.new_context(base_url=live_server).new_page()
    for tab in (employee, agent):
        tab.set_default_timeout(10_000)

    sign_in(owner, "owner")
    owner.wait_for_url(re.compile(r"/$"))
    before = int(_proposals_tile(owner).get_attribute("data-count"))

    sign_in(employee, "employee")
    employee.wait_for_url(re.compile(r"/$"))
    employee.goto("/incidents/report")
    summary = "Nobody at the Rotterdam depot can print labels"
    employee.get_by_label("What is wrong?").fill(summary)
    employee.get_by_role("button", name="Send to the service desk").click()
    employee.wait_for_url(re.compile(r"/incidents/INC\d{7}$"))
    number = employee.url.rsplit("/", 1)[-1]

    sign_in(agent, "agent")
    agent.wait_for_url(re.compile(r"/$"))
    agent.goto(f"/incidents/{number}")
    open_section(agent, "Major incident")
    propose = agent.locator(f'form[action="/incidents/{number}/major"]')
    propose.locator("textarea").fill("Shipping has stopped at the depot.")
    with agent.expect_navigation():
        propose.locator('button[type="submit"]').click()
    expect(agent.get_by_text("Proposed as a major incident.").first).to_be_visible()

    owner.goto("/")
    expect(_proposals_tile(owner)).to_have_attribute("data-count", str(before + 1))
    _snap(owner, "1-owner-home")
    owner.get_by_role("link", name=re.compile("major incident proposals? waiting")).click()
    owner.wait_for_url(re.compile(r"/incidents/major-proposals$"))
    row = owner.get_by_role("row", name=re.compile(number))
    expect(row.get_by_text("Shipping has stopped at the depot.")).to_be_visible()
    row.get_by_role("link", name=number).click()
    owner.wait_for_url(re.compile(rf"/incidents/{number}$"))
    expect(owner.get_by_text(summary).first).to_be_visible()
    expect(owner.get_by_text("Shipping has stopped at the depot.").first).to_be_visible()
    owner.get_by_label("Note").fill("Agreed: open a bridge call.")
    owner.get_by_role("button", name="Accept as major").click()
    expect(owner.get_by_text("Decision recorded.")).to_be_visible()
    expect(owner.get_by_text("Major incident", exact=True).first).to_be_visible()
    expect(owner.get_by_role("button", name="Accept as major")).to_have_count(0)
    _snap(owner, "2-accepted")

    owner.goto("/incidents/major-proposals")
    expect(owner.get_by_role("heading", name="Major incident proposals")).to_be_visible()
    expect(owner.get_by_role("link", name=number)).to_have_count(0)
    assert unexpected(owner.console_errors) == []
