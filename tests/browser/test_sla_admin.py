"""A queue owner edits an SLA policy's targets in a real browser; a second, stale tab is told
that someone saved first (409) and nothing of it is saved."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_shell import sign_in, unexpected

pytestmark = pytest.mark.browser


def _policy_tab(tab, url: str):
    tab.goto(url)
    return tab.get_by_label(re.compile(r"^P3 ·"))


def test_owner_edits_a_policy_and_a_stale_tab_gets_a_409(page):
    sign_in(page, "owner")
    page.wait_for_url(re.compile(r"/$"))
    page.goto("/sla/")
    queues = page.get_by_role("table", name="Queues and their SLA policies")
    queues.locator("tbody tr td:nth-child(4) a").first.click()
    page.wait_for_url(re.compile(r"/sla/queues/\d+/policies$"))
    policies = page.get_by_role("table", name=re.compile("^SLA policies of"))
    policy = policies.locator("tbody tr td:first-child a").first
    name = policy.inner_text()
    policy.click()
    page.wait_for_url(re.compile(r"/sla/policies/\d+$"))
    edit_url = page.url
    expect(page.get_by_role("heading", name=name)).to_be_visible()

    # A second tab opens the same policy before the first one saves.
    stale = page.context.new_page()
    stale.set_default_timeout(10_000)
    stale_target = _policy_tab(stale, edit_url)

    target = page.get_by_label(re.compile(r"^P3 ·"))
    before = int(target.input_value())
    target.fill(str(before + 7))
    page.get_by_role("button", name="Save policy").click()  # the browser sends every field
    page.wait_for_url(re.compile(r"/sla/queues/\d+/policies$"))
    expect(page.get_by_text(f"Policy {name} saved")).to_be_visible()
    row = policies.locator("tbody tr", has=page.get_by_role("link", name=name, exact=True))
    assert f"P3: {before + 7}" in row.inner_text()

    stale_target.fill(str(before + 30))
    with stale.expect_response(lambda r: r.request.method == "POST") as answer:
        stale.get_by_role("button", name="Save policy").click()
    assert answer.value.status == 409
    expect(stale.get_by_role("alert").filter(has_text="changed by someone else")).to_be_visible()
    assert stale.get_by_label(re.compile(r"^P3 ·")).input_value() == str(before + 7)

    # Saving again from the refreshed form works, and puts the demo's target back.
    stale.get_by_label(re.compile(r"^P3 ·")).fill(str(before))
    stale.get_by_role("button", name="Save policy").click()
    stale.wait_for_url(re.compile(r"/sla/queues/\d+/policies$"))
    page.reload()
    assert f"P3: {before}," in row.inner_text()
    assert unexpected(page.console_errors) == []
