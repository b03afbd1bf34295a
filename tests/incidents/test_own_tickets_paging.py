"""An employee's "my tickets": the tickets they called in, opened or watch, newest first, paged
and counted exactly, in as few statements as the page needs."""

from __future__ import annotations

import html
import re

from app.tickets import services as tickets
from tests.conftest import count_queries

SUMMARY = re.compile(r'<(?:span|p) class="text-body-secondary small[^"]*">([^<]*)</')


def read(client, url: str) -> tuple[list[str], str | None, int]:
    """The numbers listed, the "1–25 of 30" line and the statements the page ran."""
    with count_queries() as statements:
        body = client.get(url).get_data(as_text=True)
    summary = SUMMARY.search(body)
    shown = html.unescape(summary.group(1)) if summary else None
    return re.findall(r">(INC\d+)</a>", body), shown, len(statements)


def test_a_short_list_is_one_statement_with_its_total(signed_in, make_incident, make_user):
    client, employee = signed_in("employee")
    numbers = [make_incident(caller=employee).number for _ in range(3)]
    make_incident(caller=make_user())  # somebody else's
    listed, summary, statements = read(client, "/incidents/mine")
    assert listed == numbers[::-1]  # newest first
    assert summary == "3 in all"
    # The session's person, the list (its total is its length), the shell's counts.
    assert statements <= 3


def test_a_long_list_is_paged_and_counted_exactly(signed_in, make_incident, make_user, db):
    client, employee = signed_in("employee")
    numbers = [make_incident(caller=employee).number for _ in range(11)]
    watched = make_incident(caller=make_user())
    tickets.watch(watched, employee)
    db.session.commit()
    numbers.append(watched.number)
    first, summary, statements = read(client, "/incidents/mine?per_page=5")
    assert (first, summary) == (numbers[::-1][:5], "1–5 of 12")
    assert statements <= 4  # and its count
    last, summary, _statements = read(client, "/incidents/mine?per_page=5&page=3")
    assert (last, summary) == (numbers[::-1][10:], "11–12 of 12")
    assert read(client, "/incidents/mine?per_page=5&page=4")[0] == []


def test_where_it_stands_is_said_in_plain_words(signed_in, make_incident):
    client, employee = signed_in("employee")
    incident = make_incident(caller=employee)
    body = client.get("/incidents/mine").get_data(as_text=True)
    assert f'<a href="/incidents/{incident.number}">{incident.number}</a>' in body
    assert '<span class="badge dg-state dg-state-new">' in body
