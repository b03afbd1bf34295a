"""A group manager reads their dashboard in a real browser: the range, a chart's table view,
and the drill-down to exactly the tickets a figure counts."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from app.timeutils import utc_now
from tests.browser.test_shell import sign_in, unexpected

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_a_manager_reads_their_dashboard_and_drills_down(page):
    sign_in(page, "owner")  # the demo's service owner manages the Service Desk queue
    page.wait_for_url(re.compile(r"/$"))
    page.get_by_role("link", name=re.compile("^Group dashboard")).click()
    page.wait_for_url(re.compile(r"/reports/groups"))
    expect(page.get_by_role("heading", name="My groups", exact=True)).to_be_visible()

    # A quarter instead of the last 30 days, submitted as a person does (every field sent).
    today = utc_now().date()
    start = (today - timedelta(days=89)).isoformat()
    page.get_by_label("From", exact=True).fill(start)
    page.get_by_label("To", exact=True).fill(today.isoformat())
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url(re.compile(rf"start={start}&end={today.isoformat()}&group=&"))
    expect(page.locator("[data-range]")).to_contain_text("(90 days, UTC)")
    expect(page.locator("[data-error]")).to_have_count(0)

    # The queue health chart is drawn; its table view gives the figures of its queues.
    health = page.locator("figure[data-chart=groups]")
    expect(health).to_have_attribute("data-chart-state", "drawn")
    expect(health.locator("canvas")).to_be_visible()
    page.get_by_role("button", name="Table of Queue health per group").click()
    expect(health).to_have_attribute("data-chart-view", "table")
    row = health.get_by_role("row", name=re.compile("^Service Desk"))
    expect(row).to_be_visible()
    expect(health.get_by_role("row", name=re.compile("^Network"))).to_have_count(0)  # not theirs

    # Following the open count of the Service Desk lists exactly the incidents it counts.
    link = row.get_by_role("link").first
    counted = int(link.inner_text())
    assert counted > 0
    link.click()
    page.wait_for_url(re.compile(r"/reports/groups/tickets\?.*set=backlog"))
    expect(
        page.get_by_role("heading", name=f"Open now: {counted} ticket", exact=False)
    ).to_be_visible()
    rows = page.locator("table[data-table=tickets] tbody tr")
    expect(rows).to_have_count(min(counted, 25))  # a page of the list
    expect(rows.first.get_by_role("link", name=re.compile(r"^INC\d+$"))).to_be_visible()
    assert unexpected(page.console_errors) == []


def test_a_manager_saves_a_dashboard_view_opens_it_and_deletes_it(page):
    sign_in(page, "owner")
    page.wait_for_url(re.compile(r"/$"))
    page.goto(page.url.rstrip("/") + "/reports/groups")
    views = page.locator("section.dg-page-views")
    expect(views).to_contain_text("None yet")

    # Narrow to priority 2, save it under a name: the dashboard lists it as one of its views.
    page.get_by_label("Priority").select_option("2")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url(re.compile(r"priority=2"))
    views.get_by_label("Name of the view").fill("High priority queues")
    views.get_by_role("button", name="Save this view").click()
    expect(page.get_by_text("Saved as 'High priority queues'")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/reports/groups\?.*priority=2"))

    # From the plain dashboard, the saved view opens the dashboard with its filters.
    page.goto(page.url.split("?")[0])
    expect(page.get_by_label("Priority")).to_have_value("")
    views.get_by_role("link", name="High priority queues").click()
    expect(page).to_have_url(re.compile(r"/reports/groups\?.*priority=2"))
    expect(page.get_by_label("Priority")).to_have_value("2")

    # Deleting asks, then comes back to the dashboard without the view.
    page.once("dialog", lambda dialog: dialog.accept())
    views.get_by_role("button", name="Delete High priority queues").click()
    expect(page.get_by_text("Deleted the view 'High priority queues'.")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/reports/groups$"))
    expect(views).to_contain_text("None yet")
    assert unexpected(page.console_errors) == []
