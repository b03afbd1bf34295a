"""Saved views: a person saves a report page with its filters under a name, finds it in the
list, opens, renames and deletes it; nobody reaches another's views (both databases)."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, select

from app.reports.saved.models import SavedView
from tests.conftest import Client


def save(client: Any, name: str, query: str = "weeks=12", endpoint: str = "reports.weekly") -> Any:
    return client.post("/reports/saved", {"name": name, "endpoint": endpoint, "query": query})


def view_ids(client: Any) -> list[str]:
    return re.findall(
        r'href="/reports/saved/(\d+)"', client.get("/reports/saved").get_data(as_text=True)
    )


def count(db: Any) -> int:
    return int(db.session.scalar(select(func.count()).select_from(SavedView)))


def test_a_saved_view_opens_its_page_with_its_filters(db, signed_in) -> None:
    client, _agent = signed_in("agent")
    saved = save(client, "Last quarter", "?weeks=12&format=csv&export=weekly&csrf_token=x")
    assert saved.status_code == 302
    assert saved.headers["Location"] == "/reports/weekly?weeks=12"  # per-request arguments dropped
    page = client.get("/reports/weekly?weeks=12").get_data(as_text=True)
    assert "Saved as &#39;Last quarter&#39;: find it under Saved views." in page
    listing = client.get("/reports/saved").get_data(as_text=True)
    assert ">Last quarter</a>" in listing
    [view_id] = view_ids(client)
    opened = client.get(f"/reports/saved/{view_id}")
    assert opened.status_code == 302
    assert opened.headers["Location"] == "/reports/weekly?weeks=12"


def test_the_weekly_page_offers_to_save_itself(db, signed_in) -> None:
    client, _agent = signed_in("agent")
    html = client.get("/reports/weekly?weeks=4").get_data(as_text=True)
    assert '<input type="hidden" name="endpoint" value="reports.weekly">' in html
    assert '<input type="hidden" name="query" value="weeks=4">' in html
    assert "Save this view" in html


def test_rename_and_delete(db, signed_in) -> None:
    client, _agent = signed_in("agent")
    save(client, "Quarter")
    save(client, "Month", "weeks=4")
    quarter, month = db.session.scalars(select(SavedView.id).order_by(SavedView.name.desc())).all()
    renamed = client.post(f"/reports/saved/{quarter}/rename", {"name": "  Last   quarter "})
    assert renamed.status_code == 302
    assert ">Last quarter</a>" in client.get("/reports/saved").get_data(as_text=True)
    taken = client.post(f"/reports/saved/{quarter}/rename", {"name": "Month"})
    assert taken.status_code == 422
    assert "You already have a saved view named &#39;Month&#39;." in taken.get_data(as_text=True)
    assert client.post(f"/reports/saved/{month}/delete").status_code == 302
    listing = client.get("/reports/saved").get_data(as_text=True)
    assert ">Month</a>" not in listing
    assert ">Last quarter</a>" in listing


def test_bad_views_are_refused_and_nothing_is_saved(db, signed_in) -> None:
    client, _agent = signed_in("agent")
    save(client, "Quarter")
    twice = save(client, "Quarter", "weeks=4")
    assert twice.status_code == 422
    assert "You already have a saved view named &#39;Quarter&#39;." in twice.get_data(as_text=True)
    assert save(client, "   ").status_code == 422
    not_a_report = save(client, "Console", "", endpoint="incidents.console")
    assert not_a_report.status_code == 422
    assert "Only a report page can be saved as a view." in not_a_report.get_data(as_text=True)
    assert (
        save(client, "Unsubscribing", "", endpoint="reports.weekly_unsubscribe").status_code == 422
    )
    too_long = save(client, "Long", "group=" + "7," * 1200)
    assert too_long.status_code == 422
    assert "These filters are too long to save (2000 at most)." in too_long.get_data(as_text=True)
    assert count(db) == 1


def test_views_are_personal(app, db, signed_in, make_user) -> None:
    client, _agent = signed_in("agent")
    save(client, "Mine")
    [view_id] = view_ids(client)
    other = Client(app.test_client())
    other.login(make_user(roles=["service_owner"]).username)
    assert view_ids(other) == []
    assert other.get(f"/reports/saved/{view_id}").status_code == 404
    assert other.post(f"/reports/saved/{view_id}/rename", {"name": "Theirs"}).status_code == 404
    assert other.post(f"/reports/saved/{view_id}/delete").status_code == 404
    assert save(other, "Mine").status_code == 302  # names are per person
    employee = Client(app.test_client())
    employee.login(make_user(roles=["employee"]).username)
    assert employee.get("/reports/saved").status_code == 403
    assert save(employee, "Nope").status_code == 403
    assert count(db) == 2


def test_each_dashboard_saves_lists_opens_and_deletes_its_own_views(db, signed_in) -> None:
    client, _agent = signed_in("agent")
    save(client, "Weekly quarter")  # another page's view: not listed on the dashboard
    html = client.get("/reports/agent?priority=2").get_data(as_text=True)
    assert '<input type="hidden" name="endpoint" value="reports.agent">' in html
    assert '<input type="hidden" name="query" value="priority=2">' in html
    assert "None yet: set the filters" in html

    saved = save(client, "Urgent work", "priority=2", endpoint="reports.agent")
    assert saved.status_code == 302
    assert saved.headers["Location"] == "/reports/agent?priority=2"
    html = client.get("/reports/agent").get_data(as_text=True)
    mine = re.findall(r'data-saved-view="([^"]+)"', html)
    assert mine == ["Urgent work"]
    [view_id] = re.findall(r'href="/reports/saved/(\d+)"', html)
    opened = client.get(f"/reports/saved/{view_id}")
    assert opened.headers["Location"] == "/reports/agent?priority=2"

    deleted = client.post(f"/reports/saved/{view_id}/delete", {"back": "reports.agent"})
    assert deleted.headers["Location"] == "/reports/agent"  # back to the dashboard
    assert (
        re.findall(
            r'data-saved-view="([^"]+)"', client.get("/reports/agent").get_data(as_text=True)
        )
        == []
    )
    assert count(db) == 1


def test_deleting_goes_back_only_to_a_report_page(db, signed_in) -> None:
    client, _agent = signed_in("agent")
    for back in ("incidents.console", "https://elsewhere.example/", "reports.weekly_unsubscribe"):
        save(client, "Gone", "priority=2", endpoint="reports.agent")
        [view_id] = view_ids(client)
        deleted = client.post(f"/reports/saved/{view_id}/delete", {"back": back})
        assert deleted.headers["Location"] == "/reports/saved", back
    assert count(db) == 0
