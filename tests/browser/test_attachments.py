"""Attachments in a real browser: an employee reports a problem with a screenshot, the agent
opens the incident and downloads the same bytes from the shared store (the live server keeps
them in the database, the default)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import new_tab, open_section
from tests.browser.test_shell import sign_in, unexpected

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_a_file_reported_in_the_portal_reaches_the_agent(browser, live_server, tmp_path):
    screenshot = tmp_path / "error dialog.png"
    screenshot.write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(40_000))
    employee, agent = new_tab(browser, live_server), new_tab(browser, live_server)

    sign_in(employee, "employee")
    employee.goto("/incidents/report")
    employee.get_by_label("What is wrong?").fill("The expense tool shows an error dialog")
    employee.get_by_label("How much does it stop your work?").select_option("3")
    employee.get_by_label("Screenshot or file (optional)").set_input_files(screenshot)
    employee.get_by_role("button", name="Send to the service desk").click()
    employee.wait_for_url(re.compile(r"/incidents/INC\d{7}$"))
    number = employee.url.rsplit("/", 1)[-1]
    expect(employee.get_by_role("link", name="error dialog.png")).to_be_visible()

    sign_in(agent, "agent")
    agent.goto(f"/incidents/{number}")
    open_section(agent, "Attachments")  # a folded section of the working page
    with agent.expect_download() as download_info:
        agent.get_by_role("link", name="error dialog.png").first.click()
    download = download_info.value
    assert download.suggested_filename == "error dialog.png"
    assert Path(download.path()).read_bytes() == screenshot.read_bytes()
    assert unexpected(employee.console_errors + agent.console_errors) == []
