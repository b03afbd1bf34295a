"""Incident rules through the service layer, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.cmdb import services as cmdb
from app.errors import Conflict, Invalid
from app.incidents import services
from app.incidents.models import Incident, RoutingRule
from app.incidents.workflow import State, Transition
from app.tickets import services as tickets
from app.tickets.holds import HoldReason
from app.tickets.matrix import load_matrix, save_matrix
from app.tickets.models import EntryKind, JournalEntry, TicketEvent
from app.timeutils import utc_now

RESOLVE = Transition(
    State.RESOLVED,
    resolution_code="solved_permanently",
    resolution_notes="Replaced the power supply.",
)


def events(db, incident, type_=None):
    query = select(TicketEvent).where(TicketEvent.ticket_id == incident.id)
    if type_:
        query = query.where(TicketEvent.type == type_)
    return db.session.scalars(query.order_by(TicketEvent.id)).all()


def test_numbers_are_sequential_and_unique(make_incident):
    numbers = [make_incident().number for _ in range(3)]
    assert numbers == ["INC0001001", "INC0001002", "INC0001003"]


def test_numbers_reserved_at_once_follow_on_from_the_last(db, make_incident):
    """An import reserves its incidents' numbers in one go, from a new counter or after the
    last number given; the next incident opened continues after them."""
    assert tickets.reserve_numbers("CHG", 3) == ["CHG0001001", "CHG0001002", "CHG0001003"]
    assert tickets.reserve_numbers("CHG", 0) == []
    assert make_incident().number == "INC0001001"
    assert tickets.reserve_numbers("INC", 2) == ["INC0001002", "INC0001003"]
    assert make_incident().number == "INC0001004"


def test_opening_computes_priority_and_records_one_created_event(db, make_incident):
    incident = make_incident(impact=1, urgency=2)
    assert incident.priority == 2
    assert incident.state == State.NEW
    assert [e.type for e in events(db, incident)] == ["created"]


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"short_description": "  "}, "short_description"),
        ({"short_description": "x" * 201}, "short_description"),
        ({"impact": 4}, "impact"),
        ({"urgency": 0}, "urgency"),
        ({"description": "x" * 20_001}, "description"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_saved(db, make_user, values, field):
    caller = make_user()
    with pytest.raises(Invalid) as refused:
        services.open_incident(
            caller=caller, opened_by=caller, **{"short_description": "ok", **values}
        )
    assert field in refused.value.field_errors
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Incident)) == 0


def test_routing_rules_pick_the_group_first_match_wins(
    db, make_user, queue, make_incident, make_ci
):
    network, desk, apps = queue("Network"), queue("Service Desk"), queue("Applications")
    sap_db = make_ci("sap-db-01", "server")
    db.session.add_all(
        [
            RoutingRule(position=1, category="Network", group_id=network.id),
            RoutingRule(position=2, affected_service="ERP", group_id=apps.id),
            RoutingRule(position=3, ci_id=sap_db.id, group_id=apps.id),
            RoutingRule(position=99, group_id=desk.id),
        ]
    )
    db.session.commit()
    assert make_incident(category="network").assignment_group_id == network.id
    assert make_incident(affected_service="ERP").assignment_group_id == apps.id
    assert make_incident(ci_names=["SAP-DB-01"]).assignment_group_id == apps.id
    assert make_incident(category="Hardware").assignment_group_id == desk.id
    cmdb.update_ci(sap_db, actor=None, name="sap-hana-01")  # the rule follows a rename
    db.session.commit()
    assert make_incident(ci_names=["sap-hana-01"]).assignment_group_id == apps.id


def test_editing_impact_recomputes_priority_and_audits_it(db, make_user, make_incident):
    agent = make_user(roles=["agent"])
    incident = make_incident(impact=3, urgency=3)
    changes = services.update_incident(
        incident, actor=agent, impact=1, urgency=1, expected_version=incident.version
    )
    db.session.commit()
    assert incident.priority == 1
    assert changes["priority"] == [5, 1]
    entry = db.session.scalars(
        select(JournalEntry).where(
            JournalEntry.ticket_id == incident.id, JournalEntry.kind == EntryKind.CHANGE
        )
    ).one()
    assert entry.changes["impact"] == [3, 1]
    assert entry.author_id == agent.id
    assert [e.data["new"] for e in events(db, incident, "priority_changed")] == [1]


def test_a_four_level_matrix_drives_new_incidents(db, make_user, make_incident):
    admin = make_user(roles=["admin"])
    scale = {1: "High", 2: "Medium", 3: "Low", 4: "Very low"}
    save_matrix(
        impacts=scale,
        urgencies=scale,
        levels={1: "P1", 2: "P2", 3: "P3", 4: "P4"},
        cells={(i, u): max(i, u) for i in scale for u in scale},
        actor=admin,
    )
    db.session.commit()
    assert len(load_matrix().levels) == 4
    assert make_incident(impact=4, urgency=1).priority == 4
    with pytest.raises(Invalid):
        save_matrix(impacts=scale, urgencies=scale, levels={1: "P1"}, cells={}, actor=admin)


def test_priority_override_needs_a_reason_that_the_timeline_shows(db, make_user, make_incident):
    agent = make_user(roles=["agent"])
    incident = make_incident(impact=3, urgency=3)
    with pytest.raises(Invalid, match="required"):
        services.override_priority(incident, 1, reason=" ", actor=agent)
    with pytest.raises(Invalid):
        services.override_priority(incident, 7, reason="because", actor=agent)
    services.override_priority(incident, 1, reason="CEO's laptop before board meeting", actor=agent)
    db.session.commit()
    assert incident.priority == 1
    assert incident.priority_override_reason == "CEO's laptop before board meeting"
    entry = db.session.scalars(
        select(JournalEntry).where(JournalEntry.ticket_id == incident.id)
    ).one()
    assert "CEO's laptop" in entry.body
    assert events(db, incident, "priority_changed")[0].data["overridden"] is True


def test_reassignment_to_another_group_is_counted(db, make_user, queue, make_incident):
    agent, other = make_user(roles=["agent"]), make_user(roles=["agent"])
    desk, network = queue("Service Desk", members=(agent,)), queue("Network", members=(other,))
    incident = make_incident()
    services.assign_incident(incident, group=desk, assignee=agent, actor=agent)
    assert incident.reassignment_count == 0  # the first assignment is not a reassignment
    services.assign_incident(incident, group=network, assignee=None, actor=agent)
    services.assign_incident(incident, group=network, assignee=other, actor=agent)
    db.session.commit()
    assert incident.reassignment_count == 1
    assert len(events(db, incident, "assigned")) == 3
    with pytest.raises(Invalid, match="is not in"):
        services.assign_incident(incident, group=network, assignee=agent, actor=agent)


def test_lifecycle_milestones_and_refusals(db, make_user, make_incident):
    agent = make_user(roles=["agent"])
    incident = make_incident()
    with pytest.raises(Invalid) as refused:
        services.change_state(incident, Transition(State.CLOSED), actor=agent)
    assert "cannot become closed" in refused.value.field_errors["state"][0]
    with pytest.raises(Invalid) as refused:
        services.change_state(incident, Transition(State.RESOLVED), actor=agent)
    assert set(refused.value.field_errors) == {"resolution_code", "resolution_notes"}
    services.change_state(incident, Transition(State.IN_PROGRESS), actor=agent)
    assert incident.first_response_at is not None
    services.change_state(incident, RESOLVE, actor=agent)
    assert incident.resolved_at is not None
    services.change_state(incident, Transition(State.CLOSED), actor=agent)
    db.session.commit()
    assert incident.closed_at is not None
    kinds = [(e.data["old"], e.data["new"]) for e in events(db, incident, "state_changed")]
    assert kinds == [("new", "in_progress"), ("in_progress", "resolved"), ("resolved", "closed")]


def test_a_callers_reply_resumes_an_incident_awaiting_the_caller(
    db, make_user, queue, make_incident
):
    agent = make_user(roles=["agent"])
    caller = make_user()
    desk = queue(members=(agent,))
    incident = make_incident(caller=caller)
    services.assign_incident(incident, group=desk, assignee=agent, actor=agent)
    services.change_state(
        incident, Transition(State.ON_HOLD, hold_reason=HoldReason.AWAITING_CALLER), actor=agent
    )
    services.comment(
        incident, author=caller, body="Here is the error code: 0x80070005", public=True
    )
    db.session.commit()
    assert incident.state == State.IN_PROGRESS
    assert incident.hold_reason is None
    commented = events(db, incident, "commented")[-1]
    assert commented.data["by_caller"] is True
    assert commented.data["notify"] == agent.id


def test_waiting_on_a_vendor_is_not_resumed_by_the_caller(db, make_user, make_incident):
    agent, caller = make_user(roles=["agent"]), make_user()
    incident = make_incident(caller=caller)
    services.change_state(
        incident, Transition(State.ON_HOLD, hold_reason=HoldReason.AWAITING_VENDOR), actor=agent
    )
    services.comment(incident, author=caller, body="Any news?", public=True)
    assert incident.state == State.ON_HOLD


def test_reopen_within_the_window_only(db, make_user, make_incident):
    agent, caller = make_user(roles=["agent"]), make_user()
    incident = make_incident(caller=caller)
    services.change_state(incident, RESOLVE, actor=agent)
    window = timedelta(days=7)
    services.reopen_incident(incident, actor=caller, reason="It fails again", window=window)
    assert incident.state == State.IN_PROGRESS
    assert incident.reopen_count == 1
    assert incident.resolved_at is None
    services.change_state(incident, RESOLVE, actor=agent)
    later = utc_now() + timedelta(days=8)
    with pytest.raises(Invalid, match="no longer be reopened"):
        services.reopen_incident(incident, actor=caller, reason="again", window=window, now=later)


def test_auto_close_closes_only_what_is_past_the_window_and_only_once(db, make_user, make_incident):
    agent = make_user(roles=["agent"])
    old, recent, open_ = make_incident(), make_incident(), make_incident()
    services.change_state(old, RESOLVE, actor=agent, now=utc_now() - timedelta(days=10))
    services.change_state(recent, RESOLVE, actor=agent)
    db.session.commit()
    window = timedelta(days=7)
    assert services.close_resolved_incidents(utc_now(), window) == [old.number]
    assert services.close_resolved_incidents(utc_now(), window) == []
    db.session.commit()
    assert (old.state, recent.state, open_.state) == (State.CLOSED, State.RESOLVED, State.NEW)


def test_resolving_a_parent_resolves_its_open_children(db, make_user, make_incident):
    agent = make_user(roles=["agent"])
    parent, child, done = make_incident(), make_incident(), make_incident()
    grandchild = make_incident()
    services.change_state(done, Transition(State.CANCELED), actor=agent)
    for kid in (child, done):
        services.set_parent(kid, parent, actor=agent)
    services.set_parent(grandchild, child, actor=agent)
    with pytest.raises(Invalid, match="already below"):
        services.set_parent(parent, grandchild, actor=agent)
    with pytest.raises(Invalid, match="its own parent"):
        services.set_parent(parent, parent, actor=agent)
    services.change_state(parent, RESOLVE, actor=agent)
    db.session.commit()
    assert child.state == State.RESOLVED
    assert child.resolution_code == "resolved_by_parent"
    assert "Replaced the power supply." in child.resolution_notes
    assert grandchild.state == State.RESOLVED
    assert done.state == State.CANCELED


def test_major_incident_is_proposed_then_decided(db, make_user, make_incident):
    agent = make_user(roles=["agent"])
    incident = make_incident()
    with pytest.raises(Invalid):
        services.decide_major(incident, accept=True, actor=agent)
    services.propose_major(incident, actor=agent, reason="Whole Rotterdam depot offline")
    with pytest.raises(Invalid):
        services.propose_major(incident, actor=agent, reason="again")
    services.decide_major(incident, accept=True, actor=agent)
    assert incident.is_major


def test_bulk_state_change_is_all_or_nothing(db, make_user, make_incident):
    agent = make_user(roles=["agent"])
    a, b = make_incident(), make_incident()
    services.change_state(b, Transition(State.CANCELED), actor=agent)
    db.session.commit()
    with pytest.raises(Invalid) as refused:
        services.bulk_change_state([a, b], Transition(State.IN_PROGRESS), actor=agent)
    assert b.number in refused.value.field_errors["state"][0]
    db.session.rollback()
    assert db.session.get(Incident, a.id).state == State.NEW


def test_editing_a_stale_version_is_a_conflict(db, make_user, make_incident):
    agent = make_user(roles=["agent"])
    incident = make_incident()
    seen = incident.version
    services.update_incident(incident, actor=agent, expected_version=seen, category="Network")
    db.session.commit()
    with pytest.raises(Conflict, match="changed by someone else"):
        services.update_incident(incident, actor=agent, expected_version=seen, category="Email")
