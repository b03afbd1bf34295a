"""The console filters the report pages drill down with: opened and resolved days, channel,
service; the whole form as a browser submits it, empties included."""

from __future__ import annotations

from datetime import UTC, datetime

from app.incidents import services
from app.incidents.workflow import State, Transition
from app.tickets.models import Channel

EMPTY = (
    "view=all&kind=&state=&priority=&group=&category=&ci=&q=&sort=priority&direction=asc"
    "&opened_from=&opened_to=&resolved_from=&resolved_to=&channel="
)


def _at(day: int, hour: int = 12) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=UTC)


def test_the_console_filters_by_days_channel_and_service(
    signed_in, queue, make_incident, business_service, db
):
    client, agent = signed_in("agent", "employee")
    desk = queue("Service Desk", members=(agent,))
    erp = business_service("ERP", agent)
    first = make_incident(short_description="first", assignment_group=desk, now=_at(2, 0))
    phoned = make_incident(
        short_description="phoned",
        assignment_group=desk,
        channel=Channel.PHONE,
        affected_service="ERP",
        now=_at(3, 23),
    )
    late = make_incident(short_description="late", assignment_group=desk, now=_at(4))
    services.change_state(
        first,
        Transition(State.RESOLVED, resolution_code="solved_remotely", resolution_notes="Done"),
        actor=agent,
        now=_at(5),
    )
    db.session.commit()

    def listed(query: str) -> set[str]:
        response = client.get(f"/incidents/?{EMPTY}&{query}")
        assert response.status_code == 200
        body = response.get_data(as_text=True)
        assert "not understood" not in body
        return {i.short_description for i in (first, phoned, late) if i.number in body}

    assert listed("") == {"first", "phoned", "late"}
    assert listed("opened_from=2026-11-02&opened_to=2026-11-03") == {"first", "phoned"}
    assert listed("opened_from=2026-11-03") == {"phoned", "late"}
    assert listed("opened_to=2026-11-02") == {"first"}
    assert listed("resolved_from=2026-11-05&resolved_to=2026-11-05") == {"first"}
    assert listed("resolved_to=2026-11-04") == set()
    assert listed("channel=phone") == {"phoned"}
    body = client.get(f"/incidents/?{EMPTY}&service={erp.id}").get_data(as_text=True)
    assert phoned.number in body
    assert first.number not in body
    assert 'data-filter="service">ERP<' in body  # the page says which service it shows


def test_a_bad_date_is_ignored_alone(signed_in, queue, make_incident):
    client, agent = signed_in("agent", "employee")
    desk = queue("Service Desk", members=(agent,))
    one = make_incident(assignment_group=desk, now=_at(2))
    body = client.get(f"/incidents/?{EMPTY}&opened_from=yesterday&channel=pigeon").get_data(
        as_text=True
    )
    assert "Opened from “yesterday”" in body
    assert "Channel “pigeon”" in body
    assert one.number in body
