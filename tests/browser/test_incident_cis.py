"""An incident's CIs in a real browser: the employee names the affected service, the agent adds
a CI with the typeahead and the impact panel follows."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import RESULTS
from tests.browser.test_shell import sign_in, unexpected

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _tab(browser, live_server):
    tab = browser.new_context(base_url=live_server, viewport={"width": 1366, "height": 900})
    page = tab.new_page()
    page.set_default_timeout(10_000)
    page.console_errors = []
    page.on(
        "console",
        lambda m, p=page: p.console_errors.append(m.text) if m.type == "error" else None,
    )
    return page


def test_employee_names_a_service_and_the_agent_adds_a_ci(browser, live_server):
    employee, agent = _tab(browser, live_server), _tab(browser, live_server)
    RESULTS.mkdir(exist_ok=True)

    sign_in(employee, "employee")
    employee.goto("/incidents/report")
    employee.get_by_label("What is wrong?").fill("Mails to customers bounce")
    employee.get_by_label("Details").fill("Since this morning, every mail to a customer bounces.")
    service = employee.get_by_label("Which service is affected?")
    assert "esx-rtm-02" not in service.inner_text()  # never a CMDB host
    service.select_option(label="Email")
    employee.get_by_label("How much does it stop your work?").select_option("2")
    employee.get_by_role("button", name="Send to the service desk").click()
    employee.wait_for_url(re.compile(r"/incidents/INC\d{7}$"))
    number = employee.url.rsplit("/", 1)[-1]

    sign_in(agent, "agent")
    agent.goto(f"/incidents/{number}")
    cis = agent.locator("#incident-cis")
    expect(cis.get_by_role("link", name="Email")).to_be_visible()
    impact = agent.locator(".dg-impact")
    assert "Email" in impact.inner_text()
    assert "Warehouse management" not in impact.inner_text()

    agent.get_by_label("Add a configuration item").press_sequentially("esx-rtm", delay=30)
    agent.get_by_role("button", name="Add esx-rtm-02").wait_for()
    agent.screenshot(path=str(RESULTS / "incident_cis_typeahead.png"))
    agent.get_by_role("button", name="Add esx-rtm-02").click()
    agent.wait_for_url(re.compile(rf"/incidents/{number}#incident-cis$"))
    expect(agent.get_by_text(f"esx-rtm-02 added to {number}.")).to_be_visible()
    expect(cis.get_by_role("link", name="esx-rtm-02")).to_be_visible()
    expect(agent.locator(".dg-impact")).to_contain_text("Warehouse management")
    agent.screenshot(path=str(RESULTS / "incident_cis_added.png"), full_page=True)

    agent.get_by_role("button", name="Remove esx-rtm-02").click()
    expect(agent.get_by_text(f"esx-rtm-02 removed from {number}.")).to_be_visible()
    expect(agent.locator(".dg-impact")).not_to_contain_text("Warehouse management")
    for tab in (employee, agent):
        assert unexpected(tab.console_errors) == []
        tab.context.close()
