"""Scopes: read from a query string, refused with clear messages, narrowed to what the viewer
may see, and written back to the same query string."""

from __future__ import annotations

from datetime import date

import pytest
from werkzeug.datastructures import MultiDict

from app.errors import Forbidden, Invalid
from app.reports.measures import figure, tickets_behind
from app.reports.scope import Scope, parse_scope, visible_scope
from tests.reports.conftest import at

TODAY = date(2026, 3, 31)


def _errors(args):
    with pytest.raises(Invalid) as caught:
        parse_scope(MultiDict(args), today=TODAY)
    return caught.value.field_errors


def test_defaults_to_the_last_thirty_days(db):
    scope = parse_scope(MultiDict(), today=TODAY)
    assert (scope.start, scope.end, scope.days) == (date(2026, 3, 2), TODAY, 30)
    assert scope.filters() == {}


def test_reads_dates_and_filters_and_writes_them_back(db, queue, calendar_row):
    desk = queue("Service Desk")
    args = MultiDict(
        [("start", "2026-01-01"), ("end", "2026-01-31"), ("group", str(desk.id)),
         ("priority", "2"), ("priority", "3"), ("channel", "email,phone"), ("kind", "incident")]
    )  # fmt: skip
    scope = parse_scope(args, today=TODAY)
    assert scope == Scope(
        date(2026, 1, 1), date(2026, 1, 31), groups=(desk.id,), priorities=(2, 3),
        channels=("email", "phone"), kinds=("incident",),
    )  # fmt: skip
    assert parse_scope(MultiDict(scope.query_args()), today=TODAY) == scope


def test_a_reversed_range_is_refused(db):
    errors = _errors([("start", "2026-03-10"), ("end", "2026-03-01")])
    assert errors == {"end": ["The end of the range is before its start: swap the dates."]}


def test_a_range_ending_in_the_future_is_refused(db):
    errors = _errors([("start", "2026-03-01"), ("end", "2026-04-02")])
    assert errors["end"] == ["The range ends in the future: end it on 2026-03-31 or before."]


def test_ten_years_are_refused_with_the_limit_said(db):
    errors = _errors([("start", "2016-03-01"), ("end", "2026-03-01")])
    assert "at most three years" in errors["start"][0]


def test_malformed_dates_and_unknown_filters_are_refused(db, queue):
    errors = _errors(
        [("start", "yesterday"), ("group", "999999"), ("channel", "pigeon"), ("kind", "bug"),
         ("category", "Nope"), ("priority", "9"), ("colour", "red"), ("service", "x")]
    )  # fmt: skip
    assert errors["start"] == ["Give the start date as YYYY-MM-DD (not 'yesterday')."]
    assert errors["group"] == ["Unknown group: 999999."]
    assert errors["channel"] == ["Unknown channel: pigeon."]
    assert errors["kind"] == ["Unknown kind: bug."]
    assert errors["category"] == ["Unknown category: Nope."]
    assert errors["priority"] == ["Unknown priority: 9."]
    assert errors["service"] == ["Unknown service: give ids as whole numbers."]
    assert errors["colour"][0].startswith("Unknown filter 'colour'")


def test_a_group_manager_sees_only_their_groups(db, queue, make_user, make_incident):
    manager = make_user(roles=["agent"])
    admin = make_user(roles=["admin"])
    mine = queue("Mine", manager_id=manager.id)
    other = queue("Other")
    for group in (mine, other):
        make_incident(assignment_group=group, now=at("2026-03-10 09:00"))
    march = Scope(date(2026, 3, 1), date(2026, 3, 31))
    assert visible_scope(march, manager).groups == (mine.id,)
    assert visible_scope(march, admin) == march
    assert figure("opened", march, manager).count == 1
    assert figure("opened", march, admin).count == 2
    ids = set(db.session.scalars(tickets_behind("opened", march, manager)))
    assert len(ids) == 1
    both = Scope(march.start, march.end, groups=(mine.id, other.id))
    assert visible_scope(both, manager).groups == (mine.id,)
    with pytest.raises(Forbidden):
        visible_scope(Scope(march.start, march.end, groups=(other.id,)), manager)


def test_someone_managing_no_queue_sees_no_report(db, make_user):
    agent = make_user(roles=["agent"])
    with pytest.raises(Forbidden):
        figure("opened", Scope(date(2026, 3, 1), date(2026, 3, 31)), agent)
