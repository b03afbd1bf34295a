"""Notifications in a real browser: an employee reports a problem, the agent replies publicly,
the employee sees the bell's count, opens the notification, lands on the ticket and the count
drops; then the employee turns public replies off in the app from the preferences page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import new_tab, snapshots
from tests.browser.test_shell import sign_in, unexpected

pytestmark = [pytest.mark.browser, pytest.mark.slow]
SUMMARY = "The meeting room screen in Turin shows no picture"
REPLY = "Please check that the HDMI cable is in port 1; we are sending someone otherwise."


_snap = snapshots("notifications-")


def bell(tab):
    return tab.get_by_role("link", name=re.compile(r"^Notifications, \d+ unread$"))


def test_reply_bell_open_and_preferences(browser, live_server):
    employee, agent = new_tab(browser, live_server), new_tab(browser, live_server)

    sign_in(employee, "employee")
    employee.goto("/notifications")
    read_all = employee.get_by_role("button", name="Mark all read")
    if read_all.count():  # earlier journeys may have left the employee some
        read_all.click()
    expect(bell(employee)).to_have_accessible_name("Notifications, 0 unread")

    employee.get_by_role("link", name="Report a problem").first.click()
    employee.get_by_label("What is wrong?").fill(SUMMARY)
    employee.get_by_label("Details").fill("Since this morning, with every laptop.")
    employee.get_by_role("button", name="Send to the service desk").click()
    employee.wait_for_url(re.compile(r"/incidents/INC\d{7}$"))
    number = employee.url.rsplit("/", 1)[-1]

    sign_in(agent, "agent")
    agent.goto(f"/incidents/{number}")
    agent.get_by_label("Message").fill(REPLY)
    agent.get_by_label("Public reply (the caller sees it)").check()
    agent.get_by_role("button", name="Post").click()
    expect(agent.get_by_text("Reply sent.")).to_be_visible()

    employee.goto("/")
    expect(bell(employee)).to_have_accessible_name("Notifications, 1 unread")
    expect(employee.get_by_test_id("bell-count")).to_have_text("1")
    bell(employee).click()
    employee.wait_for_url(re.compile(r"/notifications$"))
    link = employee.get_by_role("link", name=re.compile(rf"replied on {number}"))
    expect(link).to_be_visible()
    expect(employee.get_by_text("Unread", exact=True)).to_be_visible()
    _snap(employee, "1-list")
    link.click()
    employee.wait_for_url(re.compile(rf"/incidents/{number}$"))
    expect(employee.get_by_text(REPLY)).to_be_visible()
    expect(bell(employee)).to_have_accessible_name("Notifications, 0 unread")
    expect(employee.get_by_test_id("bell-count")).to_have_count(0)

    # Public replies: by mail only from now on (every box is submitted, unchecked ones absent).
    employee.goto("/notifications/preferences")
    in_app = employee.get_by_label("Public reply in the app")
    expect(in_app).to_be_checked()
    expect(employee.get_by_label("Ticket resolved in the app")).to_be_disabled()
    in_app.uncheck()
    employee.get_by_role("button", name="Save preferences").click()
    expect(employee.get_by_text("Your notification preferences are saved.")).to_be_visible()
    expect(employee.get_by_label("Public reply in the app")).not_to_be_checked()
    expect(employee.get_by_label("Public reply by mail")).to_be_checked()
    _snap(employee, "2-preferences")

    agent.get_by_label("Message").fill("One more thing: which room exactly?")
    agent.get_by_label("Public reply (the caller sees it)").check()
    agent.get_by_role("button", name="Post").click()
    expect(agent.get_by_text("Reply sent.")).to_be_visible()
    employee.goto("/")
    expect(bell(employee)).to_have_accessible_name("Notifications, 0 unread")
    assert unexpected(employee.console_errors) == []
    assert unexpected(agent.console_errors) == []
