"""An administrator brings a NetBox estate in through the browser: picks NetBox on the imports
page, uploads a REST API export, reads the dry run (nothing written yet), imports it, lands on
the run's report with what was created and what was not carried, and finds an imported
device in the CMDB."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import RESULTS, new_tab
from tests.browser.imports_desk import admin_desk
from tests.browser.test_shell import sign_in, unexpected
from tests.imports.test_netbox_reader import api_files

pytestmark = pytest.mark.browser
PASSWORD = "netbox-admin-password"


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A desk of its own with one administrator and an empty CMDB; yields its URL."""
    with admin_desk(tmp_path_factory.mktemp("netbox"), "nbadmin", PASSWORD, "Nia Admin") as url:
        yield url


@pytest.fixture
def tab(browser: Any, desk: str, request: pytest.FixtureRequest) -> Iterator[Any]:
    page = new_tab(browser, desk)
    yield page
    RESULTS.mkdir(exist_ok=True)
    page.screenshot(path=str(RESULTS / f"{request.node.name}.png"), full_page=True)
    page.context.close()


def test_admin_dry_runs_then_imports_a_netbox_export(tab, tmp_path):
    export = tmp_path / "netbox-api.json"
    export.write_text(
        json.dumps(
            {n.removesuffix(".json").replace("_", "/"): json.loads(d) for n, d in api_files()}
        )
    )
    sign_in(tab, "nbadmin", PASSWORD)
    tab.goto("/admin/imports/")
    tab.get_by_role("link", name="NetBox", exact=True).click()
    tab.wait_for_url(re.compile(r"/admin/imports/netbox$"))
    expect(tab.get_by_role("heading", name="Import from NetBox")).to_be_visible()

    tab.get_by_label("NetBox file").set_input_files(str(export))
    tab.get_by_role("button", name="Check (dry run)").click()
    dry_run = tab.locator("#dry-run")
    expect(dry_run.get_by_role("heading", name="Dry run: what the import would do")).to_be_visible()
    counts = tab.get_by_role("table", name="What the import would change")
    expect(counts.get_by_role("row", name=re.compile("^CIs"))).to_contain_text("9")
    expect(dry_run).to_contain_text("would create 9 CIs")

    tab.get_by_role("button", name="Import netbox-api.json").click()
    tab.wait_for_url(re.compile(r"/admin/imports/runs/\d+$"))
    expect(tab.get_by_role("heading", name=re.compile(r"^Import #\d+$"))).to_be_visible()
    progress = tab.locator("#import-progress")
    expect(progress).to_contain_text("Finished")
    expect(tab.locator("#import-counts")).to_contain_text("CIs created")
    tab.get_by_role("link", name=re.compile(r"^Not carried \(4\)$")).click()
    report = tab.get_by_role("table", name="What the import skipped or did not carry, and why")
    expect(report.locator("tbody tr")).to_have_count(4)
    expect(report).to_contain_text("192.168.0.1/22: IP addresses are not carried")

    tab.goto("/cmdb/")
    expect(tab.get_by_role("link", name="dmi01-akron-rtr01")).to_be_visible()
    assert unexpected(tab.console_errors) == []
