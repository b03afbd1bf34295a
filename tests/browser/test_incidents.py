"""Incidents in a real browser: an employee reports, an agent works it, the employee follows."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_shell import sign_in, unexpected

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_report_work_and_follow_an_incident(browser, live_server):
    employee = browser.new_context(base_url=live_server).new_page()
    agent = browser.new_context(base_url=live_server).new_page()
    for tab in (employee, agent):
        tab.set_default_timeout(10_000)
        tab.console_errors = []
        tab.on(
            "console",
            lambda m, t=tab: t.console_errors.append(m.text) if m.type == "error" else None,
        )

    sign_in(employee, "employee")
    employee.get_by_role("link", name="Report a problem").first.click()
    employee.get_by_label("What is wrong?").fill("Badge reader at the Lyon entrance refuses me")
    employee.get_by_label("How much does it stop your work?").select_option("2")
    employee.get_by_role("button", name="Send to the service desk").click()
    employee.wait_for_url(re.compile(r"/incidents/INC\d{7}$"))
    number = employee.url.rsplit("/", 1)[-1]
    expect(employee.get_by_text("Received, waiting for an agent")).to_be_visible()

    sign_in(agent, "agent")
    agent.goto("/incidents/?view=open&sort=opened&direction=desc")
    agent.get_by_role("link", name=number).click()
    agent.wait_for_url(re.compile(number))
    # Choosing a group reloads its members into the assignee list (htmx).
    # Choosing it again still reloads the list, so wait for that answer before choosing a person.
    with agent.expect_response(lambda r: "/incidents/assignees" in r.url):
        agent.get_by_label("Assignment group").select_option(label="Service Desk")
    agent.wait_for_load_state("networkidle")
    agent.locator("#assignee option", has_text="Tomás Álvarez").wait_for(state="attached")
    agent.get_by_label("Assigned to").select_option(label="Tomás Álvarez")
    expect(agent.get_by_label("Assigned to")).to_have_value(re.compile(r"\d+"))
    agent.get_by_role("button", name="Save", exact=True).click()
    expect(agent.get_by_text("Saved.", exact=True)).to_be_visible()
    agent.get_by_label("Message").fill("Internal: badge DB sync lagging")
    agent.get_by_role("button", name="Post").click()
    agent.get_by_label("Message").fill("Your badge is re-enabled, please try again.")
    agent.get_by_label("Public reply (the caller sees it)").check()
    agent.get_by_role("button", name="Post").click()
    expect(agent.get_by_text("Reply sent.")).to_be_visible()
    expect(agent.get_by_text("Internal: badge DB sync lagging")).to_be_visible()

    employee.reload()
    expect(employee.get_by_text("Your badge is re-enabled, please try again.")).to_be_visible()
    assert employee.get_by_text("badge DB sync lagging").count() == 0
    assert (
        employee.get_by_text("Being worked on").count()
        + employee.get_by_text("Received, waiting for an agent").count()
        == 1
    )
    assert unexpected(employee.console_errors) == []
    assert unexpected(agent.console_errors) == []
