"""Reading and improving articles in a real browser: an employee finds an article from the
knowledge home by category and rates it; the author edits it, the knowledge manager publishes
version 2, and the versions page shows what changed."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import new_tab
from tests.browser.test_shell import sign_in, unexpected

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TITLE = "Laptop does not charge"


def test_an_employee_rates_an_article_and_its_next_version_is_compared(browser, live_server):
    employee = new_tab(browser, live_server)
    sign_in(employee, "employee")
    employee.wait_for_url(re.compile(r"/$"))
    employee.get_by_role("link", name="Knowledge").click()
    expect(employee.get_by_role("heading", name="Knowledge", exact=True)).to_be_visible()
    expect(employee.get_by_text("Restart a stuck ERP batch job")).to_have_count(0)  # IT only
    employee.get_by_role("link", name="Hardware").click()
    employee.get_by_role("link", name=TITLE).click()
    employee.wait_for_url(re.compile(r"/kb/KB\d{7}$"))
    number = employee.url.rsplit("/", 1)[-1]
    employee.get_by_text("Yes", exact=True).click()
    employee.get_by_label("Comment (optional)").fill("The dock was the problem.")
    employee.get_by_role("button", name="Send").click()
    expect(employee.get_by_text("Thank you for your feedback.")).to_be_visible()
    expect(employee.get_by_text(re.compile(r"\d+ found it helpful"))).to_be_visible()

    author = new_tab(browser, live_server)
    sign_in(author, "agent")
    author.wait_for_url(re.compile(r"/$"))
    author.goto(f"/kb/{number}")
    comments = author.get_by_role("region", name="Readers' comments")
    expect(comments.get_by_text("The dock was the problem.")).to_be_visible()
    author.get_by_role("link", name="Edit").click()
    text = author.get_by_label("Text")
    text.fill(text.input_value() + "\n\nA dock with a white light does not charge: reseat it.")
    author.get_by_role("button", name="Save draft").click()
    expect(author.get_by_text(f"{number} is saved.")).to_be_visible()
    author.get_by_role("button", name="Submit for review").click()

    manager = new_tab(browser, live_server)
    sign_in(manager, "owner")
    manager.wait_for_url(re.compile(r"/$"))
    manager.goto(f"/kb/{number}")
    manager.get_by_role("button", name="Publish").click()
    expect(manager.get_by_text(f"{number} is published.")).to_be_visible()
    manager.get_by_role("link", name="Versions").click()
    expect(manager.get_by_role("heading", name="Changes from version 1 to 2")).to_be_visible()
    expect(manager.locator(".dg-diff-added", has_text="reseat it")).to_be_visible()
    expect(manager.get_by_role("cell", name="Priya Raman").first).to_be_visible()  # approver

    employee.reload()
    expect(employee.get_by_text("reseat it")).to_be_visible()
    for tab in (employee, author, manager):
        assert unexpected(tab.console_errors) == []
