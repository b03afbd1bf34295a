"""Sessions in a real browser: "Sign out everywhere" ends the person's other devices too."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_shell import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_sign_out_everywhere_from_the_account_page(browser, live_server, page):
    phone = browser.new_context(base_url=live_server).new_page()
    phone.set_default_timeout(10_000)
    sign_in(phone, "l.marchetti")
    phone.wait_for_url(re.compile(r"/$"))

    sign_in(page, "l.marchetti")
    page.wait_for_url(re.compile(r"/$"))
    page.goto("/account")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Sign out everywhere").click()
    page.wait_for_url(re.compile(r"/login$"))
    expect(page.get_by_text("You are signed out on every device.")).to_be_visible()

    phone.goto("/account")
    assert "/login?next=" in phone.url  # the other device is signed out too
    phone.context.close()
    assert page.console_errors == []
