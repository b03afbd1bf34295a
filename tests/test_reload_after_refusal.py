"""A page answering a refused form post names the address a reload should ask for by GET, so a
browser never sends the form a second time (issue 13). The incident page, whose forms post
elsewhere, names its own address (tests/incidents/test_incident_page.py)."""

from __future__ import annotations

import re

REPLACE = re.compile(r'data-replace-url="([^"]*)"')


def test_a_refused_post_names_its_own_address_for_a_reload(signed_in):
    client, _admin = signed_in("admin")
    refused = client.post("/admin/groups/new", {"name": ""})
    assert refused.status_code == 422
    assert REPLACE.findall(refused.get_data(as_text=True)) == ["/admin/groups/new"]


def test_a_page_asked_for_by_get_names_no_address(signed_in):
    client, _admin = signed_in("admin")
    page = client.get("/admin/groups/new").get_data(as_text=True)
    assert REPLACE.findall(page) == []
