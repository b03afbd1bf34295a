"""The agent console in a real browser at a laptop's width: the queue fits without sideways
scrolling, one line per row, and what is cut short is there in full on hover."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_shell import sign_in, unexpected

pytestmark = [pytest.mark.browser, pytest.mark.slow]
LONG = (
    "Since this morning the label printer on the third floor of the Lyon warehouse prints "
    "every shipping label twice and then jams"
)


def report(page, text: str) -> str:
    """Report a problem as the signed-in employee; the new incident's number."""
    page.wait_for_load_state("networkidle")  # leave no download to cut off
    page.goto("/incidents/report")
    page.get_by_label("What is wrong?").fill(text)
    page.get_by_label("How much does it stop your work?").select_option("2")
    page.get_by_role("button", name="Send to the service desk").click()
    page.wait_for_url(re.compile(r"/incidents/INC\d{7}$"))
    page.wait_for_load_state("networkidle")  # leave no download to cut off
    return page.url.rsplit("/", 1)[-1]


def test_the_console_fits_1366_pixels_one_line_per_row(browser, live_server, page):
    employee = browser.new_context(base_url=live_server).new_page()
    sign_in(employee, "employee")
    employee.wait_for_url(re.compile(r"/$"))
    numbers = [report(employee, f"{LONG} ({n})") for n in range(3)]
    employee.context.close()

    sign_in(page, "agent")  # the page fixture's window is 1366 x 900
    page.wait_for_url(re.compile(r"/$"))
    page.wait_for_load_state("networkidle")
    page.goto("/incidents/?view=all&sort=opened&direction=desc")
    table = page.locator("table.dg-table")
    fit = table.evaluate(
        """t => ({
            scroll: t.scrollWidth, width: t.parentElement.clientWidth,
            page: document.documentElement.scrollWidth, view: window.innerWidth,
            rows: [...t.tBodies[0].rows].map(r => r.getBoundingClientRect().height),
            line: parseFloat(getComputedStyle(t.tBodies[0].rows[0].cells[3]).lineHeight),
            heads: [...t.tHead.rows[0].cells].filter(c => c.scrollWidth > c.clientWidth).length,
            task: (() => {  // a catalog task's number, the longest kind, fits its column
                const cell = t.tBodies[0].rows[0].cells[1], style = getComputedStyle(cell);
                const pen = document.createElement('canvas').getContext('2d');
                pen.font = getComputedStyle(cell.querySelector('a')).font;
                return pen.measureText('SCTASK0001234').width
                    <= cell.clientWidth - parseFloat(style.paddingLeft)
                       - parseFloat(style.paddingRight);
            })(),
            cut: [...t.tBodies[0].querySelectorAll('td')]
                .filter(c => c.scrollWidth > c.clientWidth)
                .map(c => {
                    // Badges (Task, Major…) stand beside the text; the title holds the text.
                    const copy = c.cloneNode(true);
                    copy.querySelectorAll('.badge').forEach(b => b.remove());
                    return {col: c.cellIndex, text: copy.textContent.trim(), title: c.title};
                }),
        })"""
    )
    assert fit["scroll"] <= fit["width"], fit  # no sideways scrolling in the table
    assert fit["page"] <= fit["view"], fit  # nor on the page
    assert len(fit["rows"]) >= 3
    assert max(fit["rows"]) < 2 * fit["line"], fit  # one line per row
    assert fit["heads"] == 0, fit  # every column heading reads in full
    assert fit["task"], fit
    assert fit["cut"], "the long descriptions are cut short"
    for cell in fit["cut"]:
        assert cell["col"] not in (1, 8), cell  # the number and the time are never cut
        assert " ".join(cell["text"].split()) in " ".join(cell["title"].split()), cell
    description = page.get_by_role("cell", name=f"{LONG} (0)")
    assert description.get_attribute("title").startswith(f"{LONG} (0)")
    expect(page.get_by_role("link", name=numbers[0])).to_be_visible()
    assert unexpected(page.console_errors) == []
