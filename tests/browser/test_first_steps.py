"""A fresh production install in a real browser: an empty database holding only the account
``flask users create-admin`` made. The administrator lands on "Set up your desk", not on an
empty employee portal, and each step is ticked once done."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import serving
from tests.browser.test_shell import sign_in, unexpected
from tests.conftest import build_app, migrate

pytestmark = [pytest.mark.browser, pytest.mark.slow]
ADMIN_PASSWORD = "kestrel-first-steps-2026"


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """This module's live server: migrated, empty, and one administrator from the CLI."""
    folder = tmp_path_factory.mktemp("empty")
    app = build_app(f"sqlite:///{folder / 'empty.sqlite3'}", folder / "instance")
    migrate(app)
    result = app.test_cli_runner().invoke(
        args=["users", "create-admin", "--password", ADMIN_PASSWORD]
    )
    assert result.exit_code == 0, result.output
    with serving(app) as url:
        yield url


def _expect_step(page, step: str, done: bool) -> None:
    expect(page.locator(f'[data-step="{step}"]')).to_have_attribute(
        "data-done", "yes" if done else "no"
    )


def _follow(page, step: str) -> None:
    page.goto("/")
    page.locator(f'[data-step="{step}"] a').click()


def test_a_fresh_admin_walks_the_first_steps(page):
    sign_in(page, "admin", ADMIN_PASSWORD)
    page.wait_for_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", name="Set up your desk")).to_be_visible()
    expect(page.get_by_text("0 of 7 first steps done")).to_be_visible()
    expect(page.get_by_text("0 groups")).to_have_count(0)

    _follow(page, "roles")
    page.wait_for_url(re.compile(r"/admin/users$"))
    page.get_by_role("link", name="New local account").click()
    page.get_by_label("Username", exact=True).fill("ada")
    page.get_by_label("Full name").fill("Ada Agent")
    page.get_by_label("Initial password").fill("rotterdam-initial-pass-7")
    page.get_by_label("Agent", exact=True).check()
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(re.compile(r"/admin/users/\d+$"))
    page.goto("/")
    _expect_step(page, "roles", done=True)
    _expect_step(page, "groups", done=False)

    _follow(page, "groups")
    page.wait_for_url(re.compile(r"/admin/groups$"))
    page.get_by_role("link", name="New group").click()
    page.get_by_label("Name", exact=True).fill("Service Desk")
    page.get_by_label("Assignment group").check()
    page.get_by_role("button", name="Create group").click()
    page.wait_for_url(re.compile(r"/admin/groups/\d+$"))
    page.goto("/")
    _expect_step(page, "groups", done=True)

    _follow(page, "calendars")
    page.wait_for_url(re.compile(r"/sla/calendars$"))
    page.get_by_role("link", name=re.compile("New calendar")).click()
    page.get_by_label("Name", exact=True).fill("Office hours")
    page.get_by_role("button", name="Save calendar").click()
    page.wait_for_url(re.compile(r"/sla/calendars$"))
    page.goto("/")
    _expect_step(page, "calendars", done=True)
    expect(page.get_by_text("3 of 7 first steps done")).to_be_visible()
    _expect_step(page, "policies", done=False)
    assert unexpected(page.console_errors) == []
