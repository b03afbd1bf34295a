"""A service owner reads the SLA reports of their queues and exports them, in a real browser."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.test_shell import sign_in, unexpected

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_service_owner_reads_sla_reports_and_exports_csv(page):
    sign_in(page, "owner")
    page.wait_for_url(re.compile(r"/$"))
    nav = page.get_by_role("navigation", name="Main navigation")
    nav.get_by_role("link", name="SLA reports", exact=True).click()
    page.wait_for_url(re.compile(r"/sla/reports"))
    expect(page.get_by_role("heading", name="SLA reports")).to_be_visible()

    # The demo's incidents have decided clocks: the compliance table has rows, each with a %.
    compliance = page.get_by_role("region", name="Compliance per queue, priority and month")
    rows = compliance.locator("tbody tr")
    assert rows.count() > 0
    assert re.search(r"\d+(\.\d+)? %", rows.first.inner_text())

    # Narrow to one queue the way a person does: choose it and press Show (every field sent).
    queue = page.get_by_label("Queue", exact=True)
    options = queue.locator("option")
    assert options.count() > 1
    chosen = options.nth(1).inner_text()
    queue.select_option(label=chosen)
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(re.compile(r"queue=\d+"))
    assert page.get_by_text("not understood").count() == 0
    queues = {r.split("\t")[1] for r in compliance.locator("tbody tr").all_inner_texts()}
    assert queues <= {chosen}

    with page.expect_download() as download:
        compliance.get_by_role("link", name="CSV").click()
    saved = download.value
    assert saved.suggested_filename == "sla-compliance.csv"
    text = Path(saved.path()).read_text(encoding="utf-8")
    exported = list(csv.DictReader(io.StringIO(text)))
    assert exported, "the CSV has the rows the page summarises"
    assert {row["queue"] for row in exported} == {chosen}
    assert unexpected(page.console_errors) == []
