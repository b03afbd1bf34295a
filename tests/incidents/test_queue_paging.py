"""Paging the agent queue: exact counts up to a cap, "more than" beyond it, and pages that
never skip or repeat a ticket either way."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import text

from app.tickets import paging

NEXT = re.compile(r'<a class="page-link" href="([^"]*)" aria-label="Next page">')
PREVIOUS = re.compile(r'<a class="page-link" href="([^"]*)" aria-label="Previous page">')
SUMMARY = re.compile(r'<span class="text-body-secondary small">([^<]*)</span>')


def read(client, url: str) -> dict:
    """What an agent sees on a queue page: its tickets, the "1–5 of 12" line, the links."""
    body = client.get(url).get_data(as_text=True)
    summary = SUMMARY.search(body)
    following, previous = NEXT.search(body), PREVIOUS.search(body)
    return {
        "numbers": re.findall(r">(INC\d+)<", body),
        "summary": html.unescape(summary.group(1)) if summary else None,
        "next": html.unescape(following.group(1)) if following else None,
        "previous": html.unescape(previous.group(1)) if previous else None,
    }


@pytest.fixture
def twelve(signed_in, queue, make_incident):
    client, agent = signed_in("agent", "employee")
    desk = queue("Service Desk", members=(agent,))
    numbers = [
        make_incident(short_description=f"Printer {n}", assignment_group=desk).number
        for n in range(12)
    ]
    return client, numbers


def walk(client, url: str) -> list[dict]:
    """Follow "next" from ``url`` to the last page."""
    pages = [read(client, url)]
    while pages[-1]["next"] not in (None, "#"):
        pages.append(read(client, pages[-1]["next"]))
        assert len(pages) < 10
    return pages


def test_a_queue_under_the_cap_is_counted_exactly(twelve):
    client, numbers = twelve
    pages = walk(client, "/incidents/?view=all&sort=number&per_page=5")
    assert [p["summary"] for p in pages] == ["1–5 of 12", "6–10 of 12", "11–12 of 12"]
    assert [n for p in pages for n in p["numbers"]] == sorted(numbers)
    assert pages[0]["previous"] == "#"
    assert pages[-1]["next"] == "#"
    assert "page=2" in pages[-1]["previous"]


def test_a_queue_past_the_cap_says_more_than_and_pages_on(twelve, monkeypatch):
    client, numbers = twelve
    monkeypatch.setattr(paging, "COUNT_CAP", 5)
    pages = walk(client, "/incidents/?view=all&sort=number&direction=desc&per_page=5")
    # The last page knows its total from its own rows; the ones before say "more than".
    assert [p["summary"] for p in pages] == [
        "1–5 of more than 5",
        "6–10 of more than 5",
        "11–12 of 12",
    ]
    assert [n for p in pages for n in p["numbers"]] == sorted(numbers, reverse=True)
    assert "page=1" in pages[1]["previous"]
    assert "page=2" in pages[2]["previous"]
    assert pages[-1]["next"] == "#"


def test_a_deep_page_past_the_cap_is_read_directly(twelve, monkeypatch):
    client, numbers = twelve
    monkeypatch.setattr(paging, "COUNT_CAP", 5)
    second = read(client, "/incidents/?view=all&sort=number&per_page=5&page=2")
    assert second["numbers"] == sorted(numbers)[5:10]
    assert second["summary"] == "6–10 of more than 5"
    assert "page=3" in second["next"]
    assert "page=1" in second["previous"]
    beyond = read(client, "/incidents/?view=all&sort=number&per_page=5&page=9")
    assert beyond["numbers"] == []


@pytest.mark.parametrize(
    "order", ["sort=number&direction=desc", "sort=opened&direction=desc", "sort=priority"]
)
def test_next_and_previous_neither_skip_nor_repeat_when_tickets_arrive(
    twelve, make_incident, order
):
    client, numbers = twelve
    first = read(client, f"/incidents/?view=all&{order}&per_page=5")
    # A new incident arrives on top while the agent reads page 1.
    arrived = make_incident(short_description="Scanner", impact=1, urgency=1).number
    second = read(client, first["next"])
    assert "after=" in first["next"]
    assert not set(second["numbers"]) & set(first["numbers"])
    third = read(client, second["next"])
    seen = first["numbers"] + second["numbers"] + third["numbers"]
    assert sorted(seen) == sorted(numbers)
    assert arrived not in seen
    # "Previous" goes back to exactly the page before, by its first row's keys.
    assert read(client, third["previous"])["numbers"] == second["numbers"]
    back = read(client, second["previous"])
    assert back["numbers"] == [arrived, *first["numbers"][:4]]
    assert back["previous"] == "#"


def test_a_tampered_keyset_falls_back_to_the_page_number(twelve):
    client, numbers = twelve
    page = read(client, "/incidents/?view=all&sort=number&per_page=5&page=2&after=x~y")
    assert page["numbers"] == sorted(numbers)[5:10]
    page = read(
        client, "/incidents/?view=all&sort=opened&per_page=5&page=2&after=2026-12-06T22:10:13~8"
    )
    assert page["numbers"] == sorted(numbers)[5:10]


def test_a_page_typed_past_the_numbered_ones_says_how_to_get_there(twelve, monkeypatch):
    client, numbers = twelve
    monkeypatch.setattr(paging, "OFFSET_CAP", 5)  # only page 1 of 5 rows is numbered
    url = "/incidents/?view=all&sort=number&per_page=5"
    body = client.get(f"{url}&page=2").get_data(as_text=True)
    assert "This page is too deep to open by its number" in body
    assert "Only the first 5 rows are numbered." in body
    assert re.findall(r">(INC\d+)<", body) == []
    flip = re.search(r'href="([^"]*)">Sort the other way round<', body)
    assert flip
    assert "direction=desc" in html.unescape(flip.group(1))
    assert not re.search(r"[?&]page=", html.unescape(flip.group(1)))
    # "Next" still pages on past the numbered pages, by keyset, to the right rows.
    pages = walk(client, url)
    assert [n for p in pages for n in p["numbers"]] == sorted(numbers)
    assert read(client, pages[2]["previous"])["numbers"] == sorted(numbers)[5:10]


def test_pages_past_the_numbered_ones_get_no_numbered_link(twelve, monkeypatch):
    client, numbers = twelve
    monkeypatch.setattr(paging, "OFFSET_CAP", 5)
    second = client.get(walk(client, "/incidents/?view=all&sort=number&per_page=5")[0]["next"])
    body = second.get_data(as_text=True)
    links = re.findall(r'<a class="page-link" href="[^"]*">(\d+)</a>', body)
    assert links == ["1"]  # page 3 is reached by "next" alone
    assert '<span class="page-link">2</span>' in body
    assert re.findall(r">(INC\d+)<", body) == sorted(numbers)[5:10]


def test_the_open_queue_index_covers_the_open_states():
    from app.incidents.workflow import OPEN_STATES
    from app.tickets.models import OPEN_TICKETS

    assert set(re.findall(r"'(\w+)'", OPEN_TICKETS)) == {s.value for s in OPEN_STATES}


def test_a_long_queue_says_about_how_long_from_the_planner_without_counting(
    twelve, monkeypatch, db
):
    """On PostgreSQL a list the planner expects to be long is not counted: its summary is the
    planner's estimate ("about 50,000"). SQLite keeps no estimate and counts up to the cap."""
    from tests.conftest import count_queries

    client, numbers = twelve
    monkeypatch.setattr(paging, "COUNT_CAP", 6)  # page 1 must count (or estimate)
    monkeypatch.setattr(paging, "ESTIMATE_FROM", 10)
    postgres = db.engine.dialect.name == "postgresql"
    if postgres:
        db.session.execute(text("ANALYZE tickets"))  # as autovacuum keeps it: 12 rows
    url = "/incidents/?view=all&sort=number&direction=desc&per_page=5"
    with count_queries() as statements:
        first = read(client, url)
    counts = [s for s in statements if "count(*)" in s and "FROM tickets" in s]
    pages = [first, *walk(client, first["next"])]
    if postgres:
        assert [p["summary"] for p in pages] == [
            "1–5 of about 12",
            "6–10 of about 12",
            "11–12 of 12",
        ]
        assert counts == []
        assert any(s.startswith("EXPLAIN") for s in statements)
    else:
        assert [p["summary"] for p in pages][0] == "1–5 of more than 6"
        assert len(counts) == 1
    assert [n for p in pages for n in p["numbers"]] == sorted(numbers, reverse=True)


def test_an_estimate_rounds_to_two_digits():
    assert [paging.rounded(n) for n in (7, 12, 99, 49_705, 222_894, 999_975)] == [
        7,
        12,
        99,
        50_000,
        220_000,
        1_000_000,
    ]
