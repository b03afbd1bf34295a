"""Paging the agent console in a real browser past the count's cap: the page says "more than",
and "next" then "previous" bring the agent back to the same rows."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from app.tickets import paging
from tests.browser.test_shell import sign_in, unexpected

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def shown(page) -> list[str]:
    return page.locator("table.dg-table tbody tr td:nth-child(2) a").all_inner_texts()


def test_an_agent_pages_on_and_back_past_the_count(page, monkeypatch):
    monkeypatch.setattr(paging, "COUNT_CAP", 5)  # the live server runs in this process
    sign_in(page, "agent")
    page.wait_for_url(re.compile(r"/$"))
    page.goto("/incidents/?view=all&sort=opened&direction=desc&per_page=5")
    pages = page.get_by_role("navigation", name="Incident pages")
    expect(pages).to_contain_text("1–5 of more than 5")
    first = shown(page)
    assert len(first) == 5

    pages.get_by_role("link", name="Next page").click()
    page.wait_for_url(re.compile(r"page=2.*after="))
    expect(pages).to_contain_text("6–10 of")
    second = shown(page)
    assert second
    assert not set(second) & set(first)

    pages.get_by_role("link", name="Previous page").click()
    page.wait_for_url(re.compile(r"page=1"))
    assert shown(page) == first
    assert unexpected(page.console_errors) == []


def test_an_agent_typing_a_page_too_deep_is_shown_the_way(page, monkeypatch):
    monkeypatch.setattr(paging, "OFFSET_CAP", 5)  # only the first 5 rows are numbered
    sign_in(page, "agent")
    page.wait_for_url(re.compile(r"/$"))
    page.goto("/incidents/?view=all&sort=opened&direction=desc&per_page=5")
    newest = shown(page)
    page.goto("/incidents/?view=all&sort=opened&direction=desc&per_page=5&page=3")
    heading = page.get_by_role("heading", name="This page is too deep to open by its number")
    expect(heading).to_be_visible()
    assert shown(page) == []

    page.get_by_role("link", name="Sort the other way round").click()
    page.wait_for_url(re.compile(r"direction=asc"))
    oldest = shown(page)
    assert len(oldest) == 5
    assert not set(oldest) & set(newest)
    assert unexpected(page.console_errors) == []
