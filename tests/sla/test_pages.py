"""Calendar and policy pages: who may use them, bad input refused with 422 (never 500), stale
versions with 409; the ticket partial and queue badge render a ticket's SLAs."""

from __future__ import annotations

from flask import render_template
from sqlalchemy import func, select

from app.sla.models import SlaCalendar, SlaPolicy, TaskSla
from app.sla.services import sla_summaries
from tests.sla.conftest import at, policy_form

GOOD_CALENDAR = {
    "name": "Lyon",
    "zone": "Europe/Paris",
    "country": "FR",
    "subdivision": "",
    "mon": "08:00-12:00, 13:00-17:00",
    "tue": "08:00-12:00, 13:00-17:00",
    "wed": "08:00-12:00",
    "thu": "08:00-17:00",
    "fri": "08:00-17:00",
    "sat": "",
    "sun": "",
    "closed_dates": "2026-12-24\n2026-12-31",
}


def test_admin_creates_a_calendar_and_bad_ones_are_refused(signed_in, db):
    client, _admin = signed_in("admin", "employee")
    assert client.get("/sla/calendars/new").status_code == 200
    assert client.post("/sla/calendars/new", GOOD_CALENDAR).status_code == 302
    row = db.session.scalar(select(SlaCalendar).where(SlaCalendar.name == "Lyon"))
    assert row.week[0] == [["08:00", "12:00"], ["13:00", "17:00"]]
    assert row.closed_dates == ["2026-12-24", "2026-12-31"]
    bad = {
        "zone": ("Mars/Olympus", "unknown time zone"),
        "mon": ("09:00-12:00, 11:00-14:00", "overlapping"),
        "tue": ("12:00-09:00", "empty or reversed"),
        "wed": ("noon to three", "not a range"),
        "country": ("XX", "unknown holiday country"),
        "closed_dates": ("31/12/2026", "not a date"),
        "name": ("", "required"),
    }
    for field, (value, message) in bad.items():
        response = client.post(
            "/sla/calendars/new", GOOD_CALENDAR | {"name": "Other", field: value}
        )
        assert response.status_code == 422, field
        assert message.lower() in response.get_data(as_text=True).lower(), field
    closed = {d: "" for d in ("mon", "tue", "wed", "thu", "fri")}
    response = client.post("/sla/calendars/new", GOOD_CALENDAR | {"name": "Never"} | closed)
    assert response.status_code == 422
    assert "no working hours" in response.get_data(as_text=True)
    assert client.post("/sla/calendars/new", GOOD_CALENDAR).status_code == 422  # name taken
    # Someone saved the calendar in between: 409, nothing overwritten.
    url = f"/sla/calendars/{row.id}"
    assert (
        client.post(url, GOOD_CALENDAR | {"version": str(row.version), "zone": "UTC"}).status_code
        == 302
    )
    stale = client.post(url, GOOD_CALENDAR | {"version": str(row.version), "zone": "Europe/London"})
    assert stale.status_code == 409
    db.session.expire_all()
    assert db.session.get(SlaCalendar, row.id).zone == "UTC"


def test_owner_manages_the_policies_of_their_queue_only(signed_in, queue, calendar_row, db):
    client, owner = signed_in("service_owner", "employee")
    mine, theirs = queue("Mine", manager_id=owner.id), queue("Theirs")
    calendar = calendar_row()
    assert client.get(f"/sla/queues/{mine.id}/policies").status_code == 200
    assert client.get(f"/sla/queues/{theirs.id}/policies").status_code == 403
    assert (
        client.post(f"/sla/queues/{theirs.id}/policies/new", policy_form(calendar)).status_code
        == 403
    )
    assert client.get("/sla/calendars").status_code == 403  # calendars are for administrators
    response = client.post(f"/sla/queues/{mine.id}/policies/new", policy_form(calendar))
    assert response.status_code == 302
    policy = db.session.scalar(select(SlaPolicy).where(SlaPolicy.group_id == mine.id))
    assert policy.targets == {"1": 60, "2": 120, "3": 180, "4": 240, "5": 300}
    assert policy.pause_reasons == ["awaiting_caller"]
    index = client.get("/sla/").get_data(as_text=True)
    assert "Mine" in index
    assert "Theirs" not in index
    url = f"/sla/policies/{policy.id}"
    assert client.get(url).status_code == 200
    edited = client.post(url, policy_form(calendar, name="Renamed", version=str(policy.version)))
    assert edited.status_code == 302
    stale = client.post(url, policy_form(calendar, name="Again", version=str(policy.version)))
    assert stale.status_code == 409
    db.session.expire_all()
    assert db.session.get(SlaPolicy, policy.id).name == "Renamed"


def test_policy_form_refuses_bad_input_with_422(signed_in, queue, calendar_row, db):
    client, _admin = signed_in("admin", "employee")
    group = queue("Network")
    calendar = calendar_row()
    url = f"/sla/queues/{group.id}/policies/new"
    bad = {
        "target-3": ("0", "target of 1 to"),
        "target-4": ("-5", "target of 1 to"),
        "target-5": ("", "target of 1 to"),
        "calendar": ("999999", "Choose a business calendar"),
        "kind": ("forever", "Choose one of"),
        "warnings": ("50, 120", "between 1 and 99"),
        "pause_reasons": (["awaiting_godot"], "hold reasons"),
        "start_priorities": (["9"], "priorities from the list"),
        "escalation": ("reassign", "assignment group to reassign"),
        "name": ("x" * 300, "under 100"),
        "ticket_kind": ("spaceship", "kind of ticket from the list"),
    }
    for field, (value, message) in bad.items():
        response = client.post(url, policy_form(calendar, **{field: value}))
        assert response.status_code == 422, field
        assert message.lower() in response.get_data(as_text=True).lower(), field
    # The first response is a property of the ticket: a per-stint response SLA is refused.
    response = client.post(url, policy_form(calendar, kind="response", scope="group"))
    assert response.status_code == 422
    assert "measures the ticket&#39;s first response once" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(SlaPolicy)) == 0
    assert client.get("/sla/queues/2147483647/policies").status_code == 404
    # Every kind of ticket is offered, and a policy can be narrowed to one of them.
    page = client.get(url).get_data(as_text=True)
    for kind in ("incident", "request_item", "catalog_task"):
        assert f'<option value="{kind}"' in page
    saved = client.post(url, policy_form(calendar, ticket_kind="catalog_task"))
    assert saved.status_code == 302
    assert db.session.scalar(select(SlaPolicy.ticket_kind)) == "catalog_task"
    assert client.get("/sla/policies/0").status_code == 404


def test_ticket_partial_and_queue_badge(app, db, queue, make_incident, make_user, policy):
    desk = queue("Service Desk")
    policy(desk, targets={5: 240})
    incident = make_incident(assignment_group=desk, now=at("2026-03-02 09:00"))
    summaries = sla_summaries([incident.id, 999999], now=at("2026-03-02 12:30"))
    assert summaries[999999] == []
    (summary,) = summaries[incident.id]
    assert (summary.stage, summary.at_warning, summary.breached) == ("in_progress", True, False)
    assert summary.time_left_text == "30 min"
    assert summary.percentage == 87.5
    with app.test_request_context():
        html = render_template("sla/_ticket_sla.html", slas=summaries[incident.id])
        assert "Service Desk resolution" in html
        assert "30 min of business time left" in html
        assert 'started <time datetime="2026-03-02T09:00:00Z">2 Mar 2026 09:00 UTC</time>' in html
        badge = app.jinja_env.from_string(
            '{% from "sla/_macros.html" import sla_badge %}{{ sla_badge(s) }}'
        ).render(s=summary)
        assert "text-bg-warning" in badge
        assert "30 min left" in badge
        row = app.jinja_env.from_string(
            '{% from "sla/_macros.html" import sla_queue_badge %}{{ sla_queue_badge(slas) }}'
        ).render(slas=summaries[incident.id])
        assert "30 min left" in row
    late = sla_summaries([incident.id], now=at("2026-03-02 14:00"))[incident.id][0]
    assert (late.stage, late.breached, late.time_left_text) == ("breached", True, "0 min")
    assert db.session.scalar(select(func.count()).select_from(TaskSla)) == 1


def test_sla_explanation_times_are_in_the_readers_zone(
    client, db, queue, make_user, make_incident, policy, calendar_row
):
    """The explanation carries instants; a reader in Stockholm sees them in CET or CEST with
    the zone, the same format as every other time on the page, and never the calendar's UTC."""
    owner = make_user("stockholm_owner", roles=["service_owner"], timezone="Europe/Stockholm")
    desk = queue("Service Desk", manager_id=owner.id)
    policy(desk, calendar=calendar_row(zone="UTC"), targets={5: 60})
    winter = make_incident(assignment_group=desk, now=at("2026-03-02 09:00"))
    summer = make_incident(assignment_group=desk, now=at("2026-06-02 09:00"))
    client.login(owner.username)
    html = client.get(f"/sla/tickets/{winter.number}").get_data(as_text=True)
    explanation = html.split('class="small mb-0 ps-3 dg-sla-explanation"', 1)[1]
    explanation = explanation.split("</ol>", 1)[0]
    assert 'started <time datetime="2026-03-02T09:00:00Z">2 Mar 2026 10:00 CET</time>' in (
        explanation
    )
    assert "2026-03-02" not in explanation.replace('datetime="2026-03-02', "")
    html = client.get(f"/sla/tickets/{summer.number}").get_data(as_text=True)
    assert 'started <time datetime="2026-06-02T09:00:00Z">2 Jun 2026 11:00 CEST</time>' in html
