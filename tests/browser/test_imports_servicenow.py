"""An administrator uploads ServiceNow's incident log in a real browser: the run page follows
the import working in the background to its report, and an incident is then found by its
ServiceNow number in the header search, its page saying where it came from."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import RESULTS
from tests.browser.imports_desk import admin_desk
from tests.browser.test_shell import sign_in, unexpected
from tests.imports.servicenow_data import SAMPLE, read, write

pytestmark = pytest.mark.browser
PASSWORD = "servicenow-admin-password"
INCIDENTS = 150


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A desk of its own with an administrator (an import would change every other journey's
    queues); yields its URL."""
    folder = tmp_path_factory.mktemp("servicenow")
    with admin_desk(folder, "snowadmin", PASSWORD, "Snow Admin", agent=True) as url:
        yield url


@pytest.fixture
def export(tmp_path) -> Any:
    header, rows = read(SAMPLE.read_text())
    keep = set(list(dict.fromkeys(r["number"] for r in rows))[:INCIDENTS])
    path = tmp_path / "incident_event_log.csv"
    path.write_bytes(write(header, [r for r in rows if r["number"] in keep]))
    return path


def test_admin_imports_the_log_and_finds_an_incident_by_its_old_number(browser, desk, export):
    context = browser.new_context(base_url=desk, viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    sign_in(page, "snowadmin", PASSWORD)

    page.goto("/admin/imports/")
    page.get_by_role("link", name="ServiceNow incidents").click()
    page.get_by_label("ServiceNow incident export").set_input_files(str(export))
    page.get_by_role("button", name="Import").click()
    page.wait_for_url(re.compile(r"/admin/imports/runs/\d+$"))
    progress = page.locator("#import-progress")
    expect(progress.get_by_text("Finished")).to_be_visible(timeout=90_000)
    counts = page.locator("#import-counts")
    expect(counts).to_contain_text("Incidents created")
    expect(counts).to_contain_text(str(INCIDENTS))
    page.reload()  # the summary is drawn with the page, once the run has finished
    expect(page.get_by_text("Matrix in force reproduces")).to_be_visible()
    RESULTS.mkdir(exist_ok=True)
    page.screenshot(path=str(RESULTS / "imports-servicenow-1-report.png"), full_page=True)

    search = page.get_by_role("searchbox", name="Find anything")
    search.fill("INC0000045")
    search.press("Enter")
    page.get_by_role("link", name=re.compile("ServiceNow INC0000045")).first.click()
    page.wait_for_url(re.compile(r"/incidents/INC\d{7}$"))
    expect(page.locator(".dg-external-number")).to_have_text("ServiceNow: INC0000045")
    expect(page.get_by_text("Caller 2403")).to_be_visible()
    page.screenshot(path=str(RESULTS / "imports-servicenow-2-incident.png"), full_page=True)
    assert unexpected(errors) == []
    context.close()
