"""A catalog request from order to delivery in a real browser, each step by the demo persona
the README names: `employee` orders VPN access, `l.marchetti` (their manager) approves it from
My approvals, `agent` finds the Service Desk task in the console and works it to completion,
and `employee` sees it Delivered. The console is walked by its links (views and kinds)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import snapshots
from tests.browser.test_shell import sign_in, unexpected

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _tab(browser, live_server):
    tab = browser.new_context(
        base_url=live_server, viewport={"width": 1366, "height": 900}
    ).new_page()
    tab.set_default_timeout(10_000)
    tab.console_errors = []
    tab.on("console", lambda m: tab.console_errors.append(m.text) if m.type == "error" else None)
    tab.on("pageerror", lambda e: tab.console_errors.append(str(e)))
    return tab


_shot = snapshots("request_journey_")


def _change_state(agent, state: str, close_code: str | None = None) -> None:
    form = agent.get_by_role("region", name="State")
    form.get_by_label("New state").select_option(label=state)
    if close_code:
        form.get_by_label("How it ended (closing)").select_option(label=close_code)
    form.get_by_role("button", name="Change state").click()


def test_an_order_is_approved_worked_and_delivered(browser, live_server):
    employee, manager, agent = (_tab(browser, live_server) for _ in range(3))

    # Emma orders VPN access from the catalog.
    sign_in(employee, "employee")
    employee.get_by_role("navigation", name="Main navigation").get_by_role(
        "link", name="Service catalog"
    ).click()
    employee.get_by_role("link", name="VPN access", exact=True).click()
    employee.wait_for_url(re.compile(r"/requests/catalog/\d+$"))
    employee.get_by_role("textbox", name="Why (required)").fill("Working from home on Fridays")
    employee.get_by_role("button", name="Order now").click()
    employee.wait_for_url(re.compile(r"/requests/REQ\d+$"))
    number = employee.url.rsplit("/", 1)[-1]
    item = employee.get_by_role("region", name="VPN access")
    expect(item.get_by_text("Waiting for approval by Luca Marchetti")).to_be_visible()
    ritm = re.search(r"RITM\d+", item.inner_text())[0]
    _shot(employee, "1_ordered")

    # Luca, her manager, approves it from My approvals.
    sign_in(manager, "l.marchetti")
    manager.wait_for_url(re.compile(r"/$"))
    manager.get_by_role("link", name="My approvals").first.click()
    row = manager.get_by_role("row").filter(has_text=ritm)
    expect(row.get_by_role("cell", name="VPN access")).to_be_visible()
    row.get_by_role("link", name=re.compile("Review")).click()
    expect(manager.get_by_role("heading", name="VPN access for Emma Schultz")).to_be_visible()
    manager.get_by_label("Comment").fill("Fine for Fridays.")
    manager.get_by_role("button", name="Approve").click()
    manager.wait_for_url(re.compile(r"/requests/approvals$"))
    expect(
        manager.get_by_text(f"You approved {ritm} (VPN access) for Emma Schultz")
    ).to_be_visible()
    _shot(manager, "2_approved")

    # The Service Desk agent finds the task among the unassigned work of their groups.
    sign_in(agent, "agent")
    agent.get_by_role("navigation", name="Main navigation").get_by_role(
        "link", name="Incidents & tasks"
    ).click()
    agent.get_by_role("link", name="Unassigned in my groups").click()
    agent.get_by_role("list", name="Kinds of work").get_by_role(
        "link", name="Catalog tasks"
    ).click()
    task_row = agent.get_by_role("row").filter(has_text=ritm)
    expect(task_row.get_by_text("Enable the VPN profile")).to_be_visible()
    _shot(agent, "3_console")
    task_row.get_by_role("link", name=re.compile(r"SCTASK\d+")).click()
    agent.wait_for_url(re.compile(r"/requests/tasks/SCTASK\d+$"))
    expect(agent.get_by_text("Working from home on Fridays")).to_be_visible()
    expect(agent.get_by_text("Fine for Fridays.").first).to_be_visible()
    assignment = agent.get_by_role("region", name="Assignment")
    assignment.get_by_label("Assigned to").select_option(label="Tomás Álvarez")
    assignment.get_by_role("button", name="Assign").click()
    expect(agent.get_by_text("Assignment saved.")).to_be_visible()
    _change_state(agent, "In progress")
    expect(agent.get_by_text("is now in progress.")).to_be_visible()
    _change_state(agent, "Closed", "Closed complete")
    expect(agent.get_by_text(f"{ritm}: Delivered.")).to_be_visible()
    _shot(agent, "4_closed")

    # Emma sees it delivered, on the request and (once finished) from My requests.
    employee.reload()
    item = employee.get_by_role("region", name="VPN access")
    expect(item.get_by_text("Delivered", exact=True)).to_be_visible()
    employee.get_by_role("link", name="My requests").first.click()
    expect(
        employee.get_by_text(re.compile(r"finished requests? (is|are) not listed"))
    ).to_be_visible()
    employee.get_by_role("link", name=re.compile(r"^Show (it|them)$")).click()
    row = employee.get_by_role("row").filter(has_text=number)
    expect(row.get_by_text("Delivered")).to_be_visible()
    _shot(employee, "5_delivered")
    for tab in (employee, manager, agent):
        assert unexpected(tab.console_errors) == []
