"""The at-risk list, the month's projected compliance and a ticket's forecast explanation,
through HTTP, on both databases."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import pytest

from app.incidents import services as incidents
from app.sla.forecast import history
from app.sla.models import SlaKind, SlaStage, TaskSla
from app.timeutils import utc_now

ALWAYS = [[["00:00", "24:00"]]] * 7
TARGET = 240  # minutes, every priority


@pytest.fixture(autouse=True)
def _fresh_models():
    """Ids come back after a rolled-back test on SQLite: no model outlives its test."""
    history.clear()
    yield
    history.clear()


def past_clocks(
    db, ticket: Any, policy: Any, priority: int, durations: list[int], start: datetime
) -> None:
    """Finished clocks of ``policy``'s queue (minutes each) started at ``start``, as stints of
    one archived ticket."""
    offset = db.session.query(TaskSla).filter_by(ticket_id=ticket.id).count()
    for i, minutes in enumerate(durations):
        breached = minutes >= TARGET
        db.session.add(
            TaskSla(
                ticket_id=ticket.id,
                policy_id=policy.id,
                stint=100 + offset + i,
                group_id=policy.group_id,
                kind=SlaKind.RESOLUTION,
                priority=priority,
                target_seconds=TARGET * 60,
                stage=SlaStage.BREACHED if breached else SlaStage.MET,
                started_at=start,
                stopped_at=start + timedelta(minutes=minutes),
                due_at=start + timedelta(minutes=TARGET),
                breached_at=start + timedelta(minutes=TARGET) if breached else None,
                elapsed_seconds=minutes * 60,
                computed_as_of=start + timedelta(minutes=minutes),
            )
        )
    db.session.commit()


@pytest.fixture
def desk(db, make_user, queue, policy, calendar_row, make_incident) -> dict[str, Any]:
    """Network with an agent; 40 past P{hi} clocks (30 breached), 40 past P{lo} (4 breached);
    two open P{hi} incidents and one P{lo}, all in Network."""
    agent = make_user(roles=["agent"])
    network = queue("Network", members=(agent,))
    archive = queue("Archive")
    rule = policy(
        network,
        name="Network resolution",
        targets=dict.fromkeys(range(1, 6), TARGET),
        calendar=calendar_row(week=ALWAYS),
    )
    old = make_incident(short_description="Archived", assignment_group=archive)
    caller = make_user()
    hot = [
        incidents.open_incident(
            caller=caller,
            opened_by=agent,
            short_description=f"Core switch {i}",
            impact=1,
            urgency=1,
            assignment_group=network,
        )
        for i in range(2)
    ]
    cool = incidents.open_incident(
        caller=caller, opened_by=agent, short_description="Wifi slow", assignment_group=network
    )
    db.session.commit()
    hi, lo = hot[0].priority, cool.priority
    assert hi != lo
    # One instant this month for all: the same backlog (80) when each started.
    now = utc_now()
    start = max(now - timedelta(hours=6), now.replace(day=1, hour=0, minute=0, second=0))
    past_clocks(db, old, rule, hi, [60] * 10 + [300] * 30, start)
    past_clocks(db, old, rule, lo, [60] * 36 + [300] * 4, start)
    return {
        "agent": agent,
        "network": network,
        "hot": hot,
        "cool": cool,
        "hi": hi,
        "lo": lo,
        "policy": rule,
    }


def test_an_agent_sees_the_clocks_of_their_queue_most_likely_breach_first(client, desk):
    client.login(desk["agent"].username)
    page = client.get("/sla/at-risk")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    hot, cool = desk["hot"][0].number, desk["cool"].number
    assert html.index(hot) < html.index(cool)
    hi = f"75 %: (4 h 00|3 h 59) min left, 75 % of similar P{desk['hi']} tickets in Network"
    assert re.search(hi + " took longer from here", html)
    assert f"10 % of similar P{desk['lo']} tickets in Network took longer from here" in html
    assert f'href="/incidents/{cool}"' in html


def test_the_month_projection_adds_the_expected_breaches_of_the_running_clocks(client, desk):
    client.login(desk["agent"].username)
    html = client.get("/sla/at-risk").get_data(as_text=True)
    # Decided: 46 met, 34 breached; running: 0.75 + 0.75 + 0.10 expected breaches.
    row = html[html.index("Projected compliance") :]
    assert "<td>46</td><td>34</td><td>3" in row
    assert "<td>1.6</td>" in row
    assert "57.5 %" in row  # met so far
    assert "57.1 %" in row  # 1 - (34 + 1.6) / 83


def test_filters_narrow_the_list_and_unknown_values_are_ignored_with_a_note(client, desk):
    client.login(desk["agent"].username)
    narrowed = client.get(f"/sla/at-risk?priority={desk['lo']}").get_data(as_text=True)
    assert desk["cool"].number in narrowed
    assert desk["hot"][0].number not in narrowed
    odd = client.get("/sla/at-risk?queue=abc&priority=9")
    assert odd.status_code == 200
    text = odd.get_data(as_text=True)
    assert "were not understood and were ignored" in text
    assert desk["hot"][0].number in text


def test_others_see_only_their_own_queues(client, desk, signed_in, queue, make_user):
    other_client, other = signed_in("agent")
    queue("Printers", members=(other,))
    html = other_client.get(f"/sla/at-risk?queue={desk['network'].id}").get_data(as_text=True)
    assert desk["hot"][0].number not in html
    assert "were not understood" in html  # not one of their queues: ignored, not shown


def test_a_service_owner_sees_the_queues_they_manage(client, desk, make_user, db):
    owner = make_user(roles=["service_owner"])
    network = desk["network"]
    network.manager_id = owner.id
    db.session.commit()
    client.login(owner.username)
    assert desk["hot"][0].number in client.get("/sla/at-risk").get_data(as_text=True)


def test_an_employee_may_not_see_forecasts(signed_in, desk):
    client, _ = signed_in("employee")
    assert client.get("/sla/at-risk").status_code == 403
    record = _record(desk["hot"][0])
    assert client.get(f"/sla/forecast/{record.id}").status_code == 403


def _record(ticket: Any) -> TaskSla:
    from app.extensions import db

    return db.session.query(TaskSla).filter_by(ticket_id=ticket.id).one()


def test_the_ticket_panel_loads_its_explanation(client, desk):
    client.login(desk["agent"].username)
    hot = desk["hot"][0]
    record = _record(hot)
    page = client.get(f"/incidents/{hot.number}").get_data(as_text=True)
    assert f'hx-get="/sla/forecast/{record.id}"' in page
    fragment = client.get(f"/sla/forecast/{record.id}")
    assert fragment.status_code == 200
    text = fragment.get_data(as_text=True)
    assert "Chance of breach 75 %" in text
    assert f"of similar P{desk['hi']} tickets in Network took longer from here" in text


def test_a_finished_or_unknown_clock_has_no_forecast(client, desk, db):
    client.login(desk["agent"].username)
    finished = db.session.query(TaskSla).filter_by(stage=SlaStage.MET).first()
    assert client.get(f"/sla/forecast/{finished.id}").status_code == 404
    assert client.get("/sla/forecast/999999999").status_code == 404


def test_a_service_owner_gets_no_forecast_of_another_queue(signed_in, desk):
    client, _ = signed_in("service_owner")
    record = _record(desk["hot"][0])
    assert client.get(f"/sla/forecast/{record.id}").status_code == 404


def test_a_clock_already_past_its_target_is_left_out_of_the_list_but_projected(client, desk, db):
    record = _record(desk["hot"][1])
    record.stage, record.breached_at = SlaStage.BREACHED, utc_now()
    db.session.commit()
    client.login(desk["agent"].username)
    html = client.get("/sla/at-risk").get_data(as_text=True)
    assert desk["hot"][1].number not in html
    assert "Clocks already past their target are not listed" in html
    row = html[html.index("Projected compliance") :]
    assert "<td>46</td><td>35</td><td>2" in row  # counted as breached, no longer running
