"""The page shell's share of a request: the navigation and the counts beside it (the bell, the
approvals waiting) are read where ``base.html`` shows them, once a page, and a fragment
rendered for htmx reads none of them."""

from __future__ import annotations

import re

from app.ui import MOST_ROOTS
from tests.conftest import count_queries


def counts_statements(statements: list[str]) -> list[str]:
    return [s for s in statements if "unread_notifications" in s]


def test_a_page_reads_its_counts_in_one_statement(signed_in):
    client, _agent = signed_in("agent", "employee")
    client.get("/")
    with count_queries() as statements:
        page = client.get("/").get_data(as_text=True)
    assert len(counts_statements(statements)) == 1, "\n".join(statements)
    assert 'data-testid="bell-count"' not in page  # nothing unread
    assert "Notifications, 0 unread" in page
    assert 'href="/incidents/" aria-current' not in page
    assert 'class="nav-link active" href="/" aria-current="page"' in page


def test_a_fragment_reads_no_counts(signed_in):
    client, _agent = signed_in("agent", "employee")
    with count_queries() as statements:
        assert client.get("/search/suggest?q=x").status_code == 200
    assert counts_statements(statements) == []


def test_the_navigation_links_follow_the_script_root(app, signed_in, monkeypatch):
    """The navigation's addresses are kept per script root: a desk served under a prefix
    links under it, and the same process serving it at the root links there. Only the first
    ``MOST_ROOTS`` roots are kept (a forwarded prefix is the client's to set): a root past
    them is not, and its pages still link under it."""
    client, _agent = signed_in("agent", "employee")
    kept: dict[str, dict[str, str]] = {}
    monkeypatch.setitem(app.extensions, "deskgraph_nav_hrefs", kept)
    roots = ["", *(f"/desk{n}" for n in range(1, MOST_ROOTS))]
    past = "/past"
    at_root: list[str] = []  # the links of the first page, served at the root
    for root in [*roots, past, *roots, past]:
        page = client.get("/incidents/", base_url=f"http://localhost{root}/").get_data(as_text=True)
        links = re.findall(r'class="nav-link[^"]*" href="([^"]+)"', page)
        at_root = at_root or links
        assert f"{root}/incidents/" in links, links
        assert links == [root + link for link in at_root], links
    assert list(kept) == roots
