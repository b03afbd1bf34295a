"""An agent reads the weekly figures as a chart (Chart.js under the strict CSP), switches to
its table view, downloads the table as CSV, saves the page as a view and has it mailed weekly,
in a real browser."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.test_shell import sign_in, unexpected

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TITLE = "Tickets per week"


def test_agent_reads_a_chart_as_a_table_downloads_it_and_saves_the_view(page):
    sign_in(page, "agent")
    page.wait_for_url(re.compile(r"/$"))
    page.goto("/reports/weekly")
    expect(page.get_by_role("heading", name="Weekly figures")).to_be_visible()

    # The chart is drawn (a canvas, no CSP refusal) and the table waits behind the toggle.
    figure = page.locator('figure[data-chart="weekly"]')
    expect(figure).to_have_attribute("data-chart-state", "drawn")
    expect(figure.get_by_role("img", name=re.compile(TITLE))).to_be_visible()
    table = figure.get_by_role("table", name=TITLE)
    expect(table).to_be_hidden()
    chart_button = page.get_by_role("button", name=f"Chart of {TITLE}")
    expect(chart_button).to_have_attribute("aria-pressed", "true")

    # Narrow to four weeks the way a person does: choose and press Show (the form's one field).
    page.get_by_label("Weeks shown").select_option("4")
    page.get_by_role("button", name="Show", exact=True).click()
    page.wait_for_url(re.compile(r"weeks=4"))
    expect(figure).to_have_attribute("data-chart-state", "drawn")

    # The table view: a real table with its column headers and a row per week.
    page.get_by_role("button", name=f"Table of {TITLE}").click()
    expect(table).to_be_visible()
    expect(figure.get_by_role("img", name=re.compile(TITLE))).to_be_hidden()
    expect(page.get_by_role("button", name=f"Table of {TITLE}")).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(table.get_by_role("columnheader")).to_have_text(
        ["Week", "Opened", "Resolved or closed", "Backlog at the end"]
    )
    expect(table.locator("tbody tr")).to_have_count(4)
    shown = [row.split("\t") for row in table.locator("tbody tr").all_inner_texts()]

    with page.expect_download() as download:
        page.get_by_role("link", name=f"CSV of {TITLE}").click()
    saved = download.value
    assert saved.suggested_filename == "tickets-per-week-4.csv"
    rows = list(csv.reader(io.StringIO(Path(saved.path()).read_text(encoding="utf-8-sig"))))
    assert rows[0] == ["Week", "Opened", "Resolved or closed", "Backlog at the end"]
    assert [[cell.strip() for cell in row] for row in shown] == rows[1:]

    # Save this page as a view, then have it mailed every Friday.
    page.get_by_label("Name of the view").fill("Last four weeks")
    page.get_by_role("button", name="Save this view").click()
    expect(page.get_by_text("Saved as 'Last four weeks'")).to_be_visible()
    assert re.search(r"/reports/weekly\?weeks=4$", page.url)
    page.get_by_label("Report to mail", exact=True).select_option(
        label="Saved view: Last four weeks"
    )
    page.get_by_label("Day of the week", exact=True).select_option(label="Friday")
    page.get_by_role("button", name="Mail it to me").click()
    expect(page.get_by_text("You will receive 'Last four weeks' every Friday.")).to_be_visible()
    mails = page.get_by_role("list", name="Your weekly report mails")
    expect(mails).to_contain_text("Last four weeks · every Friday")

    page.get_by_role("link", name="Saved views").first.click()
    expect(page.get_by_role("link", name="Last four weeks")).to_be_visible()
    assert unexpected(page.console_errors) == []
