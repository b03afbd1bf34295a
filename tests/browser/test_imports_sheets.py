"""The spreadsheet import in a real browser: an administrator uploads a CSV of people, maps
the one column the guess missed, previews the rows as they will be saved, runs the dry run,
imports, and finds the people in the directory."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_shell import sign_in, unexpected

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SHEET = (
    "Login;Full name;Courriel;Department\n"
    "sheet.wren;Wren Walsh;wren.walsh@example.org;Sheet Imports\n"
    "sheet.yara;Yara Young;yara.young@example.org;Sheet Imports\n"
)


def test_an_admin_imports_people_from_a_csv_file(page, tmp_path):
    people = tmp_path / "new people.csv"
    people.write_text(SHEET, encoding="utf-8")
    sign_in(page, "admin")
    page.goto("/admin/imports/")
    page.get_by_role("link", name="Spreadsheet (CSV or XLSX)").click()
    page.get_by_label("The file holds").select_option("people")
    page.get_by_label("CSV or XLSX file").set_input_files(people)
    page.get_by_role("button", name="Upload and map the columns").click()

    expect(page.get_by_role("heading", name="People from new people.csv")).to_be_visible()
    expect(page.get_by_label("Username *")).to_have_value("0")  # guessed from "Login"
    expect(page.get_by_label("Display name")).to_have_value("1")  # from "Full name"
    expect(page.get_by_label("Email")).to_have_value("")  # "Courriel" is not guessed
    page.get_by_label("Email").select_option(label="Courriel")
    page.get_by_role("button", name="Preview").click()

    preview = page.locator("#preview-table")
    expect(preview.get_by_role("row").nth(1)).to_contain_text("Wren Walsh")
    expect(preview.get_by_role("row").nth(1)).to_contain_text("wren.walsh@example.org")
    expect(preview.get_by_role("row").nth(1)).to_contain_text("New")
    expect(page.get_by_label("Email")).to_have_value("2")  # the choice survives the preview

    page.get_by_role("button", name="Dry run").click()
    expect(page.locator("#run-result")).to_contain_text("2 rows read: 2 to create")
    expect(page.locator("#run-result")).to_contain_text("Nothing was written")

    page.get_by_role("button", name="Import", exact=True).click()
    page.wait_for_url(re.compile(r"/admin/imports/runs/\d+$"))
    expect(page.get_by_role("alert").or_(page.get_by_role("status")).first).to_contain_text(
        "Imported new people.csv: 2 rows read: 2 created"
    )
    expect(page.locator("#import-progress")).to_contain_text("Finished")

    page.goto("/admin/users?q=sheet.")
    expect(page.get_by_role("link", name="Wren Walsh")).to_be_visible()
    expect(page.get_by_role("link", name="Yara Young")).to_be_visible()
    assert unexpected(page.console_errors) == []
