"""An administrator imports a small iTop export in a real browser: the imports index leads to
the iTop page, the upload's dry run says what would be created and creates nothing, the import
button writes it and lands on the run's report, and a second upload of the same file would
change nothing."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import RESULTS
from tests.browser.imports_desk import admin_desk
from tests.browser.test_shell import sign_in, unexpected
from tests.browser.test_webhooks import tab_on

pytestmark = pytest.mark.browser
PASSWORD = "itop-admin-password"
EXPORT = """<?xml version="1.0" encoding="UTF-8"?>
<Set>
<Farm alias="Farm" id="7"><name>journey-cluster</name><status>production</status></Farm>
<Hypervisor alias="Hypervisor" id="9"><name>journey-esx1</name><farm_id>7</farm_id></Hypervisor>
<Hypervisor alias="Hypervisor" id="10"><name>journey-esx2</name><farm_id>7</farm_id></Hypervisor>
<VirtualMachine alias="VirtualMachine" id="12"><name>journey-vm</name>
<virtualhost_id>7</virtualhost_id></VirtualMachine>
<Person alias="Person" id="2"><name>Picasso</name><first_name>Pablo</first_name></Person>
</Set>
"""


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A desk of its own (the import adds classes and CIs) with an administrator."""
    with admin_desk(tmp_path_factory.mktemp("itop"), "itopadmin", PASSWORD, "It Op") as url:
        yield url


def test_admin_checks_then_imports_an_itop_export(browser, desk, tmp_path: Path):
    export = tmp_path / "itop-export.xml"
    export.write_text(EXPORT)
    page = tab_on(browser, desk)
    sign_in(page, "itopadmin", PASSWORD)

    page.goto("/admin/imports/")
    page.get_by_role("link", name="iTop").click()
    expect(page.get_by_role("heading", name="Import from iTop")).to_be_visible()
    page.get_by_label("iTop export").set_input_files(str(export))
    page.get_by_role("button", name="Check (dry run)").click()
    expect(page.locator("#itop-diff")).to_contain_text("would create 4 CIs")
    expect(page.get_by_text("not carried: 1")).to_be_visible()  # the person
    RESULTS.mkdir(exist_ok=True)
    page.screenshot(path=str(RESULTS / "imports-itop-1-dry-run.png"), full_page=True)

    page.get_by_role("button", name="Import itop-export.xml").click()
    page.wait_for_url(re.compile(r"/admin/imports/runs/\d+$"))
    expect(page.get_by_text("Finished")).to_be_visible()
    expect(page.locator("#import-counts")).to_contain_text(re.compile(r"CIs created\s*4"))
    expect(page.get_by_role("cell", name=re.compile("people are not created"))).to_be_visible()
    page.screenshot(path=str(RESULTS / "imports-itop-2-imported.png"), full_page=True)

    page.goto("/admin/imports/itop")
    page.get_by_label("iTop export").set_input_files(str(export))
    page.get_by_role("button", name="Check (dry run)").click()
    expect(page.locator("#itop-diff")).to_have_text("nothing to change")
    assert unexpected(page.console_errors) == []
    page.context.close()
