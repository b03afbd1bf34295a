"""One search, in a real browser: an agent types in the header's box, sees suggestions while
typing, presses Enter, sees highlighted results and opens one, and finds it again through a
typo; an employee searching the same words sees only their own ticket (no one else's, no
CI)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import new_tab
from tests.browser.test_shell import sign_in, unexpected

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def report(tab, text: str) -> str:
    """Report a problem as the signed-in person; the new incident's number."""
    tab.goto("/incidents/report")
    tab.get_by_label("What is wrong?").fill(text)
    tab.get_by_label("How much does it stop your work?").select_option("2")
    tab.get_by_role("button", name="Send to the service desk").click()
    tab.wait_for_url(re.compile(r"/incidents/INC\d{7}$"))
    tab.wait_for_load_state("networkidle")
    return tab.url.rsplit("/", 1)[-1]


def test_agent_finds_and_opens_employee_sees_only_their_own(browser, live_server):
    employee = new_tab(browser, live_server)
    sign_in(employee, "employee")
    employee.wait_for_url(re.compile(r"/$"))
    mine = report(employee, "The pelican scanner at the Genoa desk beeps twice and stops")
    colleague = new_tab(browser, live_server)
    sign_in(colleague, "l.marchetti")
    colleague.wait_for_url(re.compile(r"/$"))
    theirs = report(colleague, "Pelican scanner cable is frayed")
    colleague.context.close()

    agent = new_tab(browser, live_server)
    sign_in(agent, "agent")
    agent.wait_for_url(re.compile(r"/$"))
    box = agent.get_by_role("searchbox", name="Find anything")
    box.press_sequentially("pelica", delay=40)
    suggestions = agent.locator("#dg-search-suggestions")
    expect(suggestions.get_by_role("option").first).to_be_visible()
    expect(suggestions.locator("mark").first).to_have_text(re.compile("^pelica", re.I))
    box.press("Enter")
    agent.wait_for_url(re.compile(r"/search\?q=pelica"))
    results = agent.locator(".dg-search-hit")
    expect(results).to_have_count(2)
    expect(results.locator("mark").first).to_be_visible()
    agent.get_by_role("link", name=re.compile(f"{mine}")).click()
    agent.wait_for_url(re.compile(f"/incidents/{mine}$"))
    expect(agent.get_by_text("The pelican scanner at the Genoa desk").first).to_be_visible()
    # A typo: the word it is closest to is searched and marked.
    box = agent.get_by_role("searchbox", name="Find anything")
    box.fill("pelcian scaner")
    box.press("Enter")
    agent.wait_for_url(re.compile(r"/search\?q=pelcian"))
    corrected = agent.locator(".dg-search-hit").filter(has_text=mine)
    expect(corrected).to_have_count(1)
    expect(corrected.locator("mark").first).to_have_text(re.compile("^pelican$", re.I))
    assert unexpected(agent.console_errors) == []

    employee.get_by_role("searchbox", name="Find anything").fill("pelican scanner")
    employee.get_by_role("searchbox", name="Find anything").press("Enter")
    employee.wait_for_url(re.compile(r"/search\?q=pelican"))
    hits = employee.locator(".dg-search-hit")
    expect(hits).to_have_count(1)
    expect(hits.first).to_contain_text(mine)
    expect(employee.get_by_text(theirs)).to_have_count(0)
    expect(employee.locator('[data-type="ci"]')).to_have_count(0)
    assert unexpected(employee.console_errors) == []
