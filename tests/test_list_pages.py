"""List pages build their links (tabs, sorting, pages) from the query string: any argument a
person adds, even one named like ``url_for``'s own, stays an ordinary argument."""

from __future__ import annotations

import re

import pytest
from flask import Flask

from app.ui import url_with

# Names url_for() takes for itself: given to it as keywords they crashed every list page.
RESERVED = {"endpoint": "x", "_method": "x", "_external": "1", "_anchor": "x", "_scheme": "x"}


@pytest.fixture
def full_lists(db, make_user):
    """Six of everything the list pages show, so each of them has a second page."""
    from app.auth import groups
    from app.cmdb import services as cmdb
    from app.cmdb.models import CIClass
    from app.incidents import services as incidents

    admin = make_user("lister", roles=["employee", "agent", "service_owner", "admin"])
    server = db.session.scalar(db.select(CIClass).where(CIClass.name == "server"))
    for n in range(6):
        person = make_user()
        groups.create_group(actor=admin, name=f"Queue {n}", is_assignment_group=True)
        incidents.open_incident(caller=admin, opened_by=admin, short_description=f"Broken {n}")
        incidents.open_incident(caller=person, opened_by=person, short_description=f"Down {n}")
        cmdb.create_ci(actor=None, ci_class=server, attribute_values=None, name=f"srv-{n}")
    db.session.commit()
    return admin


def list_pages(app: Flask) -> list[str]:
    """Every page reached by GET without a path argument."""
    return sorted(
        rule.rule
        for rule in app.url_map.iter_rules()
        if "GET" in (rule.methods or ()) and not rule.arguments and rule.endpoint != "static"
    )


def test_reserved_names_in_the_query_string_are_plain_arguments(app, client, full_lists):
    client.login(full_lists.username)
    query = "&".join(f"{k}={v}" for k, v in RESERVED.items()) + "&per_page=5"
    paged = 0
    for url in list_pages(app):
        response = client.get(f"{url}?{query}")
        assert response.status_code < 500, f"{url}: {response.status_code}"
        body = response.get_data(as_text=True)
        if 'aria-label="Next page"' in body:
            paged += 1
            assert re.search(r'href="[^"]*endpoint=x[^"]*&amp;page=2"', body), url
    assert paged >= 5  # the console, my tickets, CIs, people and groups have a second page


def test_url_with_keeps_every_value_and_changes_only_what_it_is_told(app):
    with app.test_request_context("/incidents/?state=new&state=on_hold&endpoint=x&page=3"):
        assert url_with(page=None) == "/incidents/?state=new&state=on_hold&endpoint=x"
        assert url_with(state=["resolved"], page=1) == (
            "/incidents/?state=resolved&endpoint=x&page=1"
        )
        assert url_with({"q": "vpn"}, sort="opened") == "/incidents/?q=vpn&sort=opened"
        assert url_with({}) == "/incidents/"


def test_search_wildcards_are_literal_text(client, db, make_user):
    """``%`` and ``_`` in a search are the characters themselves, not LIKE wildcards."""
    from app.auth import groups
    from app.incidents import services as incidents

    admin = make_user("lister", roles=["employee", "agent", "admin"])
    make_user("ann_lee", display_name="Ann Lee")
    make_user("annolee", display_name="Anno Lee")
    groups.create_group(actor=admin, name="ops_night")
    groups.create_group(actor=admin, name="opsXnight")
    full = incidents.open_incident(
        caller=admin, opened_by=admin, short_description="Disk 100% full"
    )
    lagging = incidents.open_incident(
        caller=admin, opened_by=admin, short_description="db_backup late"
    )
    other = incidents.open_incident(
        caller=admin, opened_by=admin, short_description="dbXbackup late"
    )
    db.session.commit()
    client.login("lister")

    def page(url: str) -> str:
        response = client.get(url)
        assert response.status_code == 200, url
        return response.get_data(as_text=True)

    console = page("/incidents/?q=%25")  # no word to look for: nothing, never everything
    assert full.number not in console
    assert lagging.number not in console
    console = page("/incidents/?q=100%25+full")
    assert full.number in console
    assert lagging.number not in console
    console = page("/incidents/?q=db_backup")
    assert lagging.number in console
    assert other.number not in console
    people = page("/admin/users?q=n_l")
    assert "Ann Lee" in people
    assert "Anno Lee" not in people
    assert "Anno Lee" not in page("/admin/users?q=%25")
    queues = page("/admin/groups?q=ops_")
    assert "ops_night" in queues
    assert "opsXnight" not in queues
