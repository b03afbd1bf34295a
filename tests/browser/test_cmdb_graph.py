"""The interactive CMDB graph in a real browser: drawn by the vendored Cytoscape.js under the
Content-Security-Policy, highlighting what a host's failure hits, and re-centred by clicks."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_shell import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]
READY = "#cmdb-graph[data-state='ready']"
# Chromium reports CSP violations on the console too; this also catches ones it only dispatches.
WATCH_CSP = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(event.violatedDirective + " " + event.blockedURI);
});
"""


def open_graph_of(page, name: str) -> None:
    """Find a CI in the list, open its page, then its graph (the way a person gets there)."""
    page.goto(f"/cmdb/?q={name}")
    page.get_by_role("link", name=name, exact=True).click()
    page.locator(".dg-page-actions").get_by_role("link", name="Graph").click()
    page.wait_for_url(re.compile(r"/cmdb/\d+/graph"))
    page.wait_for_selector(READY)


def click_node(page, name: str, *, double: bool = False) -> None:
    """Click a node on the canvas where Cytoscape drew it."""
    box = page.locator("#cmdb-graph").bounding_box()
    x, y = page.evaluate(
        """(name) => {
          const node = document.getElementById("cmdb-graph").cy.nodes()
            .filter((n) => n.data("name") === name)[0];
          const p = node.renderedPosition();
          return [p.x, p.y];
        }""",
        name,
    )
    if double:
        page.mouse.dblclick(box["x"] + x, box["y"] + y)
    else:
        page.mouse.click(box["x"] + x, box["y"] + y)


def test_graph_highlights_a_hosts_impact_and_recentres_on_click(page):
    page.add_init_script(WATCH_CSP)
    sign_in(page, "agent")
    page.wait_for_url(re.compile(r"/$"))
    open_graph_of(page, "esx-rtm-01")

    graph = page.locator("#cmdb-graph")
    host_url = page.url
    assert graph.locator("canvas").count() >= 1
    assert page.locator("#graph-fallback").is_hidden()  # the SVG gives way to the canvas
    # The labels are readable at the first zoom (at least 11 px on the screen).
    size = page.evaluate(
        """() => {
          const cy = document.getElementById("cmdb-graph").cy;
          return cy.zoom() * parseFloat(cy.nodes()[0].style("font-size"));
        }"""
    )
    assert size >= 11, size
    # esx-rtm-01 is one of two hosts of esx-cluster-rtm (up while one host is): its failure
    # degrades the cluster, whose redundancy holds, and Warehouse management with it.
    assert int(graph.get_attribute("data-affected")) >= 3
    assert graph.get_attribute("data-held") == "1"
    legend = page.locator("#graph-legend")
    assert int(legend.locator("[data-count='degraded']").inner_text()) >= 2
    assert legend.locator("[data-count='down']").inner_text() == "1"  # the host itself
    assert legend.locator("[data-count='held']").inner_text() == "1"
    summary = page.locator("#graph-summary")
    assert "If esx-rtm-01 fails" in summary.inner_text()
    assert "Warehouse management (degraded)" in summary.inner_text()

    # Impact off: nothing highlighted, the impact legend hidden; and back on.
    page.get_by_label("Show impact").uncheck()
    assert graph.get_attribute("data-affected") == "0"
    assert legend.locator("[data-count='down']").is_hidden()
    assert "Impact hidden" in summary.inner_text()
    page.get_by_label("Show impact").check()
    assert int(graph.get_attribute("data-affected")) >= 3

    # A click selects a CI and offers its page and re-centring.
    click_node(page, "esx-cluster-rtm")
    selection = page.locator("#graph-selection")
    expect(selection.locator("[data-field='name']")).to_have_text("esx-cluster-rtm")
    assert "at least 1 up" in selection.inner_text()
    cluster_id = graph.get_attribute("data-selected")
    assert selection.get_by_role("link", name="Open the CI page").get_attribute("href") == (
        f"/cmdb/{cluster_id}"
    )
    selection.get_by_role("link", name="Centre the graph here").click()
    page.wait_for_url(re.compile(rf"/cmdb/{cluster_id}/graph\?depth=2$"))
    page.wait_for_selector(READY)
    assert graph.get_attribute("data-centre") == cluster_id
    assert "If esx-cluster-rtm fails" in summary.inner_text()

    # A double click re-centres at once: back on the host.
    click_node(page, "esx-rtm-01", double=True)
    page.wait_for_url(re.compile(r"/cmdb/\d+/graph\?depth=2$"))
    page.wait_for_selector(READY)
    assert page.url == host_url.replace("/graph", "/graph?depth=2")
    assert page.evaluate("window.__cspViolations") == []
    assert page.console_errors == []


def test_the_printable_view_is_the_svg_without_script(page):
    sign_in(page, "agent")
    page.wait_for_url(re.compile(r"/$"))
    open_graph_of(page, "wms-farm")
    page.get_by_role("link", name="Printable view").click()
    page.wait_for_url(re.compile(r"print=1"))
    assert page.locator("#cmdb-graph").count() == 0
    expect(page.locator("#graph-fallback svg")).to_be_visible()
    assert page.locator("#graph-fallback svg a").count() >= 3
    assert page.console_errors == []
