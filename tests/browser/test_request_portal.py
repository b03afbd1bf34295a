"""Service requests in a real browser: an employee orders software from the demo catalog, their
manager approves it, and the employee sees it being delivered."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import RESULTS
from tests.browser.test_shell import DEMO_PASSWORD, sign_in, unexpected

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _tab(browser, live_server):
    tab = browser.new_context(base_url=live_server).new_page()
    tab.set_default_timeout(10_000)
    tab.console_errors = []
    tab.on("console", lambda m: tab.console_errors.append(m.text) if m.type == "error" else None)
    tab.on("pageerror", lambda e: tab.console_errors.append(str(e)))
    return tab


def test_order_software_the_manager_approves_and_it_is_in_progress(browser, live_server):
    employee, admin, manager = (_tab(browser, live_server) for _ in range(3))

    sign_in(employee, "employee")
    employee.get_by_role("navigation", name="Main navigation").get_by_role(
        "link", name="Service catalog"
    ).click()
    employee.get_by_label("Search the catalog").fill("install software")
    employee.get_by_role("button", name="Search").click()
    employee.get_by_role("link", name="Software installation", exact=True).click()
    employee.wait_for_url(re.compile(r"/requests/catalog/\d+$"))
    employee.get_by_label("Which software").select_option(label="Visual Studio Code")
    employee.get_by_label("What you need it for").fill("Editing the campaign site templates")
    # ordering for a colleague is a search away (htmx fills the list; Emma stays the default)
    employee.get_by_label("Search: Who is it for?").fill("marchet")
    employee.locator("#requested_for option", has_text="Luca Marchetti").wait_for(state="attached")
    chosen = employee.locator("#requested_for option:checked").inner_text()
    assert chosen == "Myself (Emma Schultz)"
    RESULTS.mkdir(exist_ok=True)
    employee.screenshot(path=str(RESULTS / "request_portal_order_form.png"), full_page=True)
    employee.get_by_role("button", name="Order now").click()
    employee.wait_for_url(re.compile(r"/requests/REQ\d+$"))
    number = employee.url.rsplit("/", 1)[-1]
    expect(employee.get_by_text(f"Your request {number} is registered")).to_be_visible()
    expect(employee.get_by_text("Waiting for approval by Luca Marchetti")).to_be_visible()
    expect(employee.get_by_text("Visual Studio Code")).to_be_visible()
    item_number = re.search(r"RITM\d+", employee.content()).group(0)

    # An administrator resets Luca's password (to the demo one the README gives, so the other
    # browser journeys on this live server still sign in as Luca).
    sign_in(admin, "admin")
    admin.goto("/admin/users?q=marchetti")
    admin.get_by_role("link", name="Luca Marchetti").click()
    admin.get_by_label("New password").fill(DEMO_PASSWORD)
    admin.get_by_role("button", name="Set password").click()
    expect(admin.get_by_text("Luca Marchetti's password is reset.")).to_be_visible()

    sign_in(manager, "l.marchetti")
    manager.wait_for_url(re.compile(r"/$"))
    expect(manager.get_by_text("waiting for your approval")).to_be_visible()
    manager.get_by_role("link", name="My approvals").click()
    # The demo has older requests of Emma's waiting too: review the one just ordered.
    manager.get_by_role("link", name=f"Review {item_number}").click()
    assert manager.get_by_role(
        "heading", name="Software installation for Emma Schultz"
    ).is_visible()
    expect(manager.get_by_text("Visual Studio Code")).to_be_visible()
    manager.screenshot(path=str(RESULTS / "request_portal_approval.png"), full_page=True)
    manager.get_by_label("Comment").fill("Yes, go ahead.")
    manager.get_by_role("button", name="Approve").click()
    manager.wait_for_url(re.compile(r"/requests/approvals$"))
    expect(manager.get_by_text("Now: In progress.")).to_be_visible()

    employee.reload()
    item = employee.get_by_role("region", name="Software installation")
    expect(item.get_by_text("In progress", exact=True)).to_be_visible()
    expect(item.get_by_text("“Yes, go ahead.”")).to_be_visible()
    employee.screenshot(path=str(RESULTS / "request_portal_in_progress.png"), full_page=True)
    employee.get_by_role("link", name="My requests").first.click()
    expect(employee.get_by_role("link", name=number)).to_be_visible()
    for tab in (employee, admin, manager):
        assert unexpected(tab.console_errors) == []
