"""Report numbers against a small dataset computed by hand (records written directly, so the
numbers do not depend on the clock), on SQLite and PostgreSQL; CSV export; owners see only
their queues; the reports page issues a bounded number of queries."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from app.sla import reports
from app.sla.models import TaskSla
from tests.conftest import count_queries
from tests.sla.conftest import at

# (month day, elapsed minutes, breached) for ten resolution clocks of queue A at priority 3.
A_RESOLUTION = [
    ("2026-01-05", 10, False), ("2026-01-06", 20, False), ("2026-01-07", 30, False),
    ("2026-01-08", 40, False), ("2026-01-09", 50, True), ("2026-01-12", 60, False),
    ("2026-02-02", 70, False), ("2026-02-03", 80, True), ("2026-02-04", 90, False),
    ("2026-02-05", 100, True),
]  # fmt: skip


@pytest.fixture(autouse=True)
def report_date(monkeypatch):
    """The pages report "the last twelve months" as of mid-March 2026, whatever today is."""
    monkeypatch.setattr("app.sla.report_views.utc_now", lambda: at("2026-03-15 12:00"))


@pytest.fixture
def dataset(db, queue, make_user, make_incident, policy):
    owner = make_user("owner_a", roles=["service_owner", "employee"])
    other = make_user("owner_b", roles=["service_owner", "employee"])
    a = queue("Queue A", manager_id=owner.id)
    b = queue("Queue B", manager_id=other.id)
    pa, pb = policy(a), policy(b)
    tickets = [make_incident(short_description=f"Ticket {n}") for n in range(13)]
    for n, (day, minutes, breached) in enumerate(A_RESOLUTION):
        started = at(f"{day} 09:00")
        db.session.add(_record(tickets[n], pa, started, minutes, breached))
    # Still running, due in 3 h: at risk within 8 h but not within 2 h; one in queue B.
    running = _record(tickets[10], pa, at("2026-03-02 09:00"), 30, False, stage="in_progress")
    running.due_at, running.stopped_at = at("2026-03-02 12:00"), None
    db.session.add(running)
    db.session.add(_record(tickets[11], pb, at("2026-01-05 09:00"), 5, True))
    cancelled = _record(tickets[12], pa, at("2026-01-05 09:00"), 5, False, stage="cancelled")
    db.session.add(cancelled)
    db.session.commit()
    return {"owner": owner, "other": other, "a": a, "b": b, "tickets": tickets}


def _record(ticket, policy, started, minutes, breached, stage=None):
    elapsed = timedelta(minutes=minutes)
    return TaskSla(
        ticket_id=ticket.id, policy_id=policy.id, stint=1, group_id=policy.group_id,
        kind="resolution", priority=3, target_seconds=45 * 60,
        stage=stage or ("breached" if breached else "met"),
        started_at=started, counted_from=started, stopped_at=started + elapsed,
        due_at=started + timedelta(minutes=45),
        breached_at=started + timedelta(minutes=45) if breached else None,
        elapsed_seconds=int(elapsed.total_seconds()), paused_seconds=0,
        percentage=round(100 * minutes / 45, 2), warnings={}, warning_level=1.0 if breached else 0,
        notified_level=0, explanation=[], computed_as_of=started + elapsed,
    )  # fmt: skip


def test_compliance_per_queue_priority_and_month(dataset):
    rows = reports.compliance([dataset["a"].id])
    assert [(r["month"], r["met"], r["breached"], r["percent_met"]) for r in rows] == [
        ("2026-02", 2, 2, 50.0),
        ("2026-01", 5, 1, 83.3),
    ]
    assert {(r["queue"], r["kind"], r["priority"]) for r in rows} == {("Queue A", "resolution", 3)}
    both = reports.compliance([dataset["a"].id, dataset["b"].id])
    assert ("Queue B", "2026-01", 0, 1) in [
        (r["queue"], r["month"], r["met"], r["breached"]) for r in both
    ]
    trend = reports.trend([dataset["a"].id])
    assert [(t["month"], t["percent_met"]) for t in trend] == [("2026-01", 83.3), ("2026-02", 50.0)]


def test_median_and_p90_by_nearest_rank(dataset):
    (row,) = reports.times([dataset["a"].id])
    # Ten values 10…100 min: median = 5th value, p90 = 9th value.
    assert (row["count"], row["median_seconds"], row["p90_seconds"]) == (10, 50 * 60, 90 * 60)
    (b,) = reports.times([dataset["b"].id])
    assert (b["count"], b["median_seconds"], b["p90_seconds"]) == (1, 300, 300)


def test_breaches_and_at_risk(dataset):
    breaches = reports.breaches([dataset["a"].id])
    assert [r["ticket"] for r in breaches] == [dataset["tickets"][n].number for n in (9, 7, 4)]
    now = at("2026-03-02 09:30")
    assert [r["ticket"] for r in reports.at_risk([dataset["a"].id], now, 8)] == [
        dataset["tickets"][10].number
    ]
    assert reports.at_risk([dataset["a"].id], now, 2) == []
    assert reports.at_risk([dataset["b"].id], now, 8) == []


def test_owner_sees_only_their_queues_and_exports_csv(dataset, client):
    client.login("owner_a")
    page = client.get("/sla/reports")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Queue A" in html
    assert "Queue B" not in html
    assert "<svg" in html
    assert "<script" not in html.split("<main", 1)[-1]
    response = client.get("/sla/reports/compliance.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [(r["queue"], r["month"], r["met"], r["breached"]) for r in rows] == [
        ("Queue A", "2026-02", "2", "2"), ("Queue A", "2026-01", "5", "1"),
    ]  # fmt: skip
    times = client.get("/sla/reports/times.csv").get_data(as_text=True)
    assert "Queue A,resolution,10,3000,5400" in times
    breaches = client.get("/sla/reports/breaches.csv").get_data(as_text=True)
    assert breaches.count(",Queue A,") == 3
    header, first = list(csv.reader(io.StringIO(breaches)))[:2]
    assert "breached_at (UTC)" in header  # the file keeps UTC and says so
    assert first[header.index("breached_at (UTC)")].endswith("+00:00")
    assert "Queue B" not in breaches
    assert client.get("/sla/reports/nothing.csv").status_code == 404
    # The queue filter cannot widen the view to someone else's queue.
    other = client.get(f"/sla/reports/breaches.csv?queue={dataset['b'].id}").get_data(as_text=True)
    assert "Queue B" not in other
    drill = client.get(f"/sla/tickets/{dataset['tickets'][4].number}")
    assert drill.status_code == 200
    assert client.get(f"/sla/tickets/{dataset['tickets'][11].number}").status_code == 404


def test_employees_cannot_see_reports(dataset, signed_in):
    client, _user = signed_in("employee")
    for url in ("/sla/", "/sla/reports", "/sla/reports/times.csv", "/sla/calendars"):
        assert client.get(url).status_code == 403, url


def test_reports_page_issues_a_bounded_number_of_queries(dataset, client):
    client.login("owner_a")
    with count_queries() as statements:
        assert client.get("/sla/reports").status_code == 200
    # Session and user loading, the reader's queues, one query per table and the trend.
    assert len(statements) <= 12, statements


def test_the_page_shows_the_latest_three_months_and_the_csv_all(dataset, db, client):
    from sqlalchemy import select

    from app.sla.models import SlaPolicy

    policy = db.session.scalar(select(SlaPolicy).where(SlaPolicy.group_id == dataset["a"].id))
    for n, day in ((0, "2025-12-10"), (1, "2026-03-10")):
        record = _record(dataset["tickets"][n], policy, at(f"{day} 09:00"), 10, False)
        record.stint = 2
        db.session.add(record)
    db.session.commit()
    client.login("owner_a")
    html = client.get("/sla/reports").get_data(as_text=True)
    table = html.split('id="compliance-title"', 1)[1].split("</section>", 1)[0]
    assert [
        m for m in ("2025-12", "2026-01", "2026-02", "2026-03") if f"<td>{m}</td>" in table
    ] == [
        "2026-01",
        "2026-02",
        "2026-03",
    ]
    assert "the chart and the CSV cover all 4" in table
    exported = client.get("/sla/reports/compliance.csv").get_data(as_text=True)
    assert "Queue A,resolution,3,2025-12,1,0" in exported
