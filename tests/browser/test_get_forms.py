"""Every GET form on every page a role reaches from its navigation, submitted as a browser
submits it: every field with its current value, empty ones included. None may answer with an
error status or a "not understood" note.

The pages are found, not listed: each role's main navigation is walked, so a new page with a
filter form is covered the day it appears in the navigation.
"""

from __future__ import annotations

import re

import pytest

from tests.browser.test_shell import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROLES = ("employee", "agent", "owner", "admin")
COMPLAINTS = re.compile(r"not understood|were ignored", re.IGNORECASE)
TEXT_INPUTS = "input[type=search], input[type=text]:not([readonly]), input:not([type])"
GET_FORMS = "main form:not([method]), main form[method=get], main form[method=GET]"


def _nav_pages(page) -> list[str]:
    nav = page.get_by_role("navigation", name="Main navigation")
    hrefs = nav.locator("a[href^='/']").evaluate_all("links => links.map(a => a.pathname)")
    return sorted(set(hrefs) - {"/logout"})


def _get_form_count(page) -> int:
    return page.locator(GET_FORMS).count()


def _submit(page, index: int, text: str | None) -> tuple[int, str]:
    form = page.locator(GET_FORMS).nth(index)
    if text is not None:
        box = form.locator(TEXT_INPUTS).first
        if box.count() == 0 or not box.is_visible():
            return 0, ""
        box.fill(text)
    with page.expect_navigation() as navigation:
        form.evaluate("f => f.requestSubmit()")
    response = navigation.value
    return (response.status if response else 0), page.url


@pytest.mark.parametrize("role", ROLES)
def test_every_get_form_submits_cleanly(page, role):
    sign_in(page, role)
    page.wait_for_url(re.compile(r"/$"))
    problems: list[str] = []
    submitted = 0
    for path in _nav_pages(page):
        page.goto(path)
        for index in range(_get_form_count(page)):
            for text in (None, "a"):
                page.goto(path)
                status, url = _submit(page, index, text)
                if not url:
                    continue
                submitted += 1
                if status >= 400:
                    problems.append(f"{path} form {index} ({text!r}): HTTP {status} at {url}")
                elif COMPLAINTS.search(page.locator("main").inner_text()):
                    problems.append(f"{path} form {index} ({text!r}): not understood at {url}")
    assert submitted > 0, f"{role} reached no GET form"
    assert problems == []
