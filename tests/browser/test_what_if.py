"""What-if in a real browser: an agent picks two CIs, reads the grouped answer, opens the graph."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import RESULTS
from tests.browser.test_cmdb_graph import READY
from tests.browser.test_shell import sign_in, unexpected

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def pick(page, name: str) -> None:
    page.get_by_label("Find a CI").fill(name)
    page.get_by_role("button", name="Find").click()
    page.get_by_role("link", name=f"+ {name}", exact=True).click()
    page.wait_for_url(re.compile(r"ci="))


def test_agent_asks_what_if_for_two_cis_and_opens_the_graph(page):
    sign_in(page, "agent")
    page.wait_for_url(re.compile(r"/$"))
    page.get_by_role("link", name="What if…").click()
    pick(page, "san-01")
    pick(page, "core-sw-lyon-01")

    affected = page.locator("section[aria-labelledby='affected-title']")
    total = int(re.search(r"\((\d+)\)", affected.locator("h2").inner_text()).group(1))
    assert total > 100  # a big answer, which used to make a page of 7,000 px
    groups = affected.locator("details.dg-class-group")
    assert groups.first.get_attribute("data-class") == "business_service"
    assert groups.count() >= 5
    assert all(not g.get_attribute("open") for g in groups.all())  # collapsed
    counts = [int(g.locator("summary .badge").first.inner_text()) for g in groups.all()]
    assert sum(counts) == total
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < 2500, height
    RESULTS.mkdir(exist_ok=True)
    page.screenshot(path=str(RESULTS / "what_if_two_cis.png"), full_page=True)

    # A class opens to its CIs; a path reads as CI chips joined by labelled arrows.
    groups.nth(1).locator("summary").click()
    expect(groups.nth(1).locator("li a").first).to_be_visible()
    path = page.locator(".dg-impact .dg-path").first
    assert path.locator(".dg-chip").count() >= 2
    assert path.locator(".dg-path-relation").first.inner_text() != ""
    assert "-(" not in page.locator("main").inner_text()

    page.get_by_role("link", name="Graph around core-sw-lyon-01").click()
    page.wait_for_url(re.compile(r"/cmdb/\d+/graph"))
    page.wait_for_selector(READY)
    # The labels are readable at the first zoom: at least 11 px on the screen.
    zoom = page.evaluate("document.getElementById('cmdb-graph').cy.zoom()")
    font = page.evaluate(
        "parseFloat(document.getElementById('cmdb-graph').cy.nodes()[0].style('font-size'))"
    )
    assert zoom * font >= 11, (zoom, font)
    centre = page.evaluate(
        """() => {
          const cy = document.getElementById('cmdb-graph').cy;
          const node = cy.getElementById(document.getElementById('cmdb-graph').dataset.centre);
          const p = node.renderedPosition();
          return [p.x, p.y, cy.width(), cy.height()];
        }"""
    )
    x, y, width, height = centre
    assert 0 < x < width  # the CI asked about is in view
    assert 0 < y < height
    # The CIs of the view come by class too, so the graph page stays short.
    assert page.evaluate("document.documentElement.scrollHeight") < 2500
    assert unexpected(page.console_errors) == []
