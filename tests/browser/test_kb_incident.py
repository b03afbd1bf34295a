"""An agent on an incident page finds knowledge beside it (KCS): the panel suggests an article
from the incident's words, the agent sends it to the caller as a public reply, and links show."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_shell import sign_in, unexpected

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_an_agent_sends_an_article_to_the_caller(page):
    sign_in(page, "employee")
    page.wait_for_url(re.compile(r"/$"))
    page.goto("/incidents/report")
    page.get_by_label("What is wrong?").fill("Outlook keeps asking for my password")
    page.get_by_role("button", name="Send to the service desk").click()
    page.wait_for_url(re.compile(r"/incidents/INC\d{7}$"))
    number = page.url.rsplit("/", 1)[-1]
    page.get_by_role("button", name=re.compile("Emma Schultz|Sign out")).first.click()
    page.context.clear_cookies()

    sign_in(page, "agent")
    page.wait_for_url(re.compile(r"/$"))
    page.goto(f"/incidents/{number}")
    panel = page.locator("#kb-panel")
    suggested = panel.get_by_test_id("kb-suggested").locator(
        "li", has_text="Outlook keeps asking for my password"
    )
    expect(suggested).to_be_visible()
    suggested.get_by_role("button", name="Send to caller").click()
    expect(page.get_by_text(re.compile(r"KB\d{7} is sent to the caller\."))).to_be_visible()
    expect(page.get_by_text("This article should help: Outlook keeps asking").first).to_be_visible()
    expect(panel.get_by_test_id("kb-linked")).to_contain_text("Outlook keeps asking")
    assert unexpected(page.console_errors) == []
