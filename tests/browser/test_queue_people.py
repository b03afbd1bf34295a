"""The agent's assignee list follows the admin's changes of a queue's people, in a real browser:
the incident form's lists are cached per process (``app.settings_cache``), and an admin adding
or removing a member must show on the agent's next page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_shell import sign_in, unexpected

pytestmark = [pytest.mark.browser, pytest.mark.slow]
INCIDENT = "INC0001016"  # the demo's intranet incident, in the Applications queue


def people_offered(page) -> list[str]:
    page.goto(f"/incidents/{INCIDENT}")
    return page.locator("select#assignee option").all_inner_texts()[1:]


def test_the_agent_offers_whom_the_admin_adds_to_the_queue_and_not_whom_it_removes(
    browser, live_server, page
):
    sign_in(page, "agent")
    page.wait_for_url(re.compile(r"/$"))
    before = people_offered(page)
    assert before
    assert "Erik Nilsson" not in before
    queue = page.locator("select#group").input_value()

    admin = browser.new_context(base_url=live_server).new_page()
    sign_in(admin, "admin")
    admin.wait_for_url(re.compile(r"/$"))
    admin.goto(f"/admin/groups/{queue}")
    admin.locator("form[action$='/members'] [name=usernames]").fill("e.nilsson")
    admin.locator("form[action$='/members'] button[type=submit]").click()
    expect(admin.get_by_text(re.compile(r"1 added to"))).to_be_visible()

    assert people_offered(page) == sorted([*before, "Erik Nilsson"], key=str.casefold)

    admin.once("dialog", lambda dialog: dialog.accept())  # "Remove Erik Nilsson from ...?"
    admin.get_by_role("button", name="Remove Erik Nilsson").click()
    admin.wait_for_load_state("networkidle")
    expect(admin.get_by_role("button", name="Remove Erik Nilsson")).to_have_count(0)
    admin.context.close()

    assert people_offered(page) == before
    assert unexpected(page.console_errors) == []
