"""``/search`` and ``/search/suggest``: grouped, ranked, highlighted (escaped, ``<mark>`` only),
paginated; bad input answers with results or "nothing found", never a 500."""

from __future__ import annotations

import re

import pytest


def hit_titles(html: str) -> list[str]:
    return [
        re.sub(r"<[^>]+>", "", t).strip()
        for t in re.findall(r'<div class="fw-semibold">(.*?)</div>', html, re.S)
    ]


def test_an_agent_sees_grouped_highlighted_results_linking_to_each_page(
    db, signed_in, make_incident, make_ci
):
    client, _agent = signed_in("agent")
    incident = make_incident(short_description="Toucan printer jams")
    make_ci("toucan-print-01", "application")
    response = client.get("/search?q=toucan")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert sorted(hit_titles(html)) == sorted(
        [f"{incident.number} Toucan printer jams", "toucan-print-01"]
    )
    assert "<mark>Toucan</mark> printer jams" in html
    assert f'href="/incidents/{incident.number}"' in html
    assert 'data-type="ticket"' in html
    assert 'data-type="ci"' in html
    only_cis = client.get("/search?q=toucan&type=ci").get_data(as_text=True)
    assert hit_titles(only_cis) == ["toucan-print-01"]


def test_markup_in_a_title_is_escaped_and_only_mark_is_added(db, signed_in, make_incident):
    client, agent = signed_in("agent")
    incident = make_incident(caller=agent, short_description='<script>alert("pelican")</script>')
    html = client.get("/search?q=pelican").get_data(as_text=True)
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#34;<mark>pelican</mark>&#34;)&lt;/script&gt;" in html
    assert incident.number in html


def test_an_employee_sees_neither_cis_nor_others_tickets(db, signed_in, make_incident, make_ci):
    client, employee = signed_in("employee")
    mine = make_incident(caller=employee, short_description="Heron laptop battery")
    make_incident(short_description="Heron laptop screen")
    make_ci("heron-laptop-pool", "application")
    html = client.get("/search?q=heron").get_data(as_text=True)
    assert hit_titles(html) == [f"{mine.number} Heron laptop battery"]
    assert 'data-type="ci"' not in html
    assert client.get("/search?q=heron&type=ci").status_code == 200


def test_results_are_paginated(db, signed_in, make_incident):
    client, agent = signed_in("agent")
    for n in range(23):
        make_incident(caller=agent, short_description=f"Ibis scanner {n}")
    first = client.get("/search?q=ibis&type=ticket").get_data(as_text=True)
    second = client.get("/search?q=ibis&type=ticket&page=2").get_data(as_text=True)
    assert len(hit_titles(first)) == 20
    assert len(hit_titles(second)) == 3
    assert "21–23 of 23" in second
    assert not set(hit_titles(first)) & set(hit_titles(second))


def test_past_the_cap_the_page_says_how_many_were_counted(
    db, signed_in, make_incident, monkeypatch
):
    from app.search import query

    monkeypatch.setattr(query, "COUNT_CAP", 3)
    client, agent = signed_in("agent")
    for n in range(5):
        make_incident(caller=agent, short_description=f"Ibis scanner {n}")
    page = client.get("/search?q=ibis").get_data(as_text=True)
    assert '<span class="badge text-bg-light">3+</span>' in page  # the All tab
    assert "More than 3 matches: the newest first." in page
    assert hit_titles(page)[0].endswith("Ibis scanner 4")  # the newest first


def test_suggestions_list_the_best_few_with_a_link_to_all(db, signed_in, make_incident):
    client, agent = signed_in("agent")
    incident = make_incident(caller=agent, short_description="Flamingo dock")
    html = client.get("/search/suggest?q=flamin").get_data(as_text=True)
    assert f'href="/incidents/{incident.number}"' in html
    assert "<mark>Flamin" in html  # PostgreSQL marks the word it corrected "flamin" to
    assert "All results for" in html
    assert "Nothing found" in client.get("/search/suggest?q=zzzqqq").get_data(as_text=True)
    assert client.get("/search/suggest?q=a").get_data(as_text=True).strip() == ""


@pytest.mark.parametrize(
    "q",
    [
        '"unbalanced quote',
        "AND OR NOT ( ) * : ^ { } - + ~ NEAR",
        'title:foo* OR "a" NOT {body}:x',
        "&|!<->:*'\\",
        "x" * 10_000,
        "osprey\x00drop",
        "%ED%A0%80osprey",  # a lone surrogate, UTF-8 encoded
        "%00%00",
        "",
        "   ",
        "ab",
    ],
)
def test_bad_input_gets_results_or_nothing_found_never_an_error(db, signed_in, q):
    client, _agent = signed_in("agent")
    for url in (f"/search?q={q}", f"/search/suggest?q={q}", f"/search?q={q}&page=x&type=bogus"):
        response = client.get(url)
        assert response.status_code == 200, (url[:80], response.status_code)


def test_a_long_search_is_cut_and_says_so(db, signed_in, make_incident):
    client, agent = signed_in("agent")
    incident = make_incident(caller=agent, short_description="Osprey router")
    html = client.get("/search?q=osprey " + "y" * 10_000).get_data(as_text=True)
    assert "cut to its first 200 characters" in html
    assert incident.number not in html  # the cut words must match too: nothing found
    assert "Nothing found" in html
    assert incident.number in client.get("/search?q=osprey%00").get_data(as_text=True)


def test_short_words_on_sqlite_ask_for_three_letters(db, backend, signed_in):
    client, _agent = signed_in("agent")
    html = client.get("/search?q=ab").get_data(as_text=True)
    if backend == "sqlite":
        assert "at least three letters" in html
    else:
        assert "Nothing found" in html
