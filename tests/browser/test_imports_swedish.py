"""An administrator who reads the desk in Swedish imports ServiceNow's incident log in a real
browser: the run page's report says in Swedish why a row was skipped, and its summary is
worded in Swedish too. Back in English, the same report line reads in English. An iTop
export's dry run says in Swedish what it would create and why a relation was left out."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import RESULTS
from tests.browser.imports_desk import admin_desk
from tests.browser.test_language import save_preferences
from tests.browser.test_shell import sign_in, unexpected
from tests.imports.servicenow_data import SAMPLE, read, write
from tests.imports.test_estate_texts import ITOP_EXPORT

pytestmark = pytest.mark.browser
PASSWORD = "servicenow-svensk-admin"
INCIDENTS = 20


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("servicenow-sv")
    with admin_desk(folder, "svadmin", PASSWORD, "Svea Admin") as url:
        yield url


@pytest.fixture
def export(tmp_path) -> Any:
    """Twenty incidents, one of whose rows is in a state ServiceNow does not have."""
    header, rows = read(SAMPLE.read_text())
    keep = set(list(dict.fromkeys(r["number"] for r in rows))[:INCIDENTS])
    rows = [dict(r) for r in rows if r["number"] in keep]
    rows[1]["incident_state"] = "Limbo"
    path = tmp_path / "incident_event_log.csv"
    path.write_bytes(write(header, rows))
    return path


def signed_in_page(browser: Any, desk: str) -> tuple[Any, Any, list[str]]:
    """A new browser context's page, the Swedish-speaking admin signed in, and the console
    errors it logs."""
    context = browser.new_context(base_url=desk, viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    sign_in(page, "svadmin", PASSWORD)
    return context, page, errors


def read_in(page: Any, language: str) -> None:
    """Set the signed-in person's language on My account, whichever language it is read in."""
    page.goto("/account")
    swedish = page.locator("html").get_attribute("lang") == "sv"
    labels = ("Språk", "Spara inställningar") if swedish else ("Language", "Save preferences")
    save_preferences(page, labels[0], language, labels[1])
    page.wait_for_url(re.compile(r"/account$"))
    expect(page.locator("html")).to_have_attribute("lang", language)


def test_a_swedish_admin_reads_the_import_report_in_swedish(browser, desk, export):
    context, page, errors = signed_in_page(browser, desk)
    read_in(page, "sv")

    page.goto("/admin/imports/")
    page.get_by_role("link", name="Incidenter från ServiceNow").click()
    page.get_by_label("Incidentexport från ServiceNow").set_input_files(str(export))
    page.get_by_role("button", name="Import").click()
    page.wait_for_url(re.compile(r"/admin/imports/runs/\d+$"))
    expect(page.locator("#import-progress").get_by_text("Klar")).to_be_visible(timeout=90_000)
    page.reload()  # the summary and the report lines are drawn with the page
    report = page.get_by_role("table")
    expect(report).to_contain_text("Okänt tillstånd 'Limbo' (kända:")
    # Swedish figures: a decimal comma ("126 av 137 rader (91,97 %)").
    expect(page.get_by_text(re.compile(r"^\d+ av \d+ rader \(\d+,\d\d %\)$"))).to_be_visible()
    RESULTS.mkdir(exist_ok=True)
    page.screenshot(path=str(RESULTS / "imports-servicenow-sv-report.png"), full_page=True)
    run_page = page.url

    read_in(page, "en")
    page.goto(run_page)
    expect(page.get_by_role("table")).to_contain_text("Unknown state 'Limbo' (known:")
    assert unexpected(errors) == []
    context.close()


def test_a_swedish_admin_reads_an_itop_dry_run_in_swedish(browser, desk, tmp_path):
    export = tmp_path / "servers.xml"
    export.write_bytes(ITOP_EXPORT)
    context, page, errors = signed_in_page(browser, desk)
    read_in(page, "sv")

    page.goto("/admin/imports/itop")
    page.get_by_label("iTop-export").set_input_files(str(export))
    page.get_by_role("button", name="Kontrollera (provkörning)").click()
    expect(page.locator("#itop-diff")).to_have_text("skulle skapa 1 CI: web-1")
    page.get_by_role("link", name=re.compile(r"^Varje rad i rapporten")).click()
    report = page.get_by_role("table")
    expect(report).to_contain_text(
        "rack_id anger Rack 99, som inte finns i de lästa filerna: ingen relation."
    )
    expect(report).to_contain_text("organisationer är inga CI")
    RESULTS.mkdir(exist_ok=True)
    page.screenshot(path=str(RESULTS / "imports-itop-sv-report.png"), full_page=True)

    run_page = page.url
    read_in(page, "en")
    page.goto(run_page)
    expect(page.get_by_role("table")).to_contain_text(
        "The rack_id names Rack 99, which is not in the files read: no relation."
    )
    assert unexpected(errors) == []
    context.close()
