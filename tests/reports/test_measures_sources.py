"""Measures read from other domains' rows: CSAT from surveys, SLA compliance from task SLA
records, incidents per CI and service and MTTR from incidents and the CMDB, fulfilment and
approval wait from service requests, deflection from the knowledge base; each figure's
drill-down lists exactly the tickets it counts."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.incidents import services
from app.incidents.workflow import State, Transition
from app.kb.models import AttemptOutcome, DeflectionAttempt
from app.reports.measures import figure
from app.reports.scope import Scope
from app.requests import services as requests
from app.requests.states import TaskState
from app.surveys import services as surveys
from app.surveys.models import Survey
from tests.reports.conftest import at, behind

RESOLVE = Transition(State.RESOLVED, resolution_code="solved_remotely", resolution_notes="ok")
MARCH = Scope(date(2026, 3, 1), date(2026, 3, 31))


@pytest.fixture
def people(db, make_user, queue, policy):
    admin = make_user(roles=["admin"])
    agent = make_user(roles=["agent"])
    desk = queue("Service Desk", members=(agent,))
    policy(desk, targets={1: 120})  # two business hours for priority 1
    return admin, agent, desk


def _resolved(make_incident, agent, group, opened, resolved, **values):
    incident = make_incident(assignment_group=group, now=at(opened), **values)
    services.change_state(incident, RESOLVE, actor=agent, now=at(resolved))
    return incident


def test_csat_average_distribution_response_rate_and_drill_down(db, people, make_incident):
    admin, agent, desk = people
    tickets = [
        _resolved(make_incident, agent, desk, f"2026-03-0{d} 09:00", f"2026-03-0{d} 10:00")
        for d in (2, 3, 4)
    ]
    db.session.commit()
    surveys.send_due(now=at("2026-03-05 09:00"))
    db.session.commit()
    rows = {s.ticket_id: s for s in db.session.scalars(select(Survey))}
    for ticket, score in zip(tickets[:2], (5, 2), strict=True):
        surveys.answer(rows[ticket.id], score=score, comment="", by=ticket.caller, via="portal",
                       now=at("2026-03-05 10:00"))  # fmt: skip
    db.session.commit()
    result = figure("csat", MARCH, admin, by="score")
    assert (result.value, result.count) == (3.5, 2)
    assert result.extra["distribution"] == {1: 0, 2: 1, 3: 0, 4: 0, 5: 1}
    assert result.stats["response_rate"] == pytest.approx(66.7)
    assert behind(db, "csat", MARCH, admin) == {tickets[0].id, tickets[1].id}
    assert behind(db, "csat", MARCH, admin, score=2) == {tickets[1].id}
    assert behind(db, "csat", MARCH, admin, answered=False) == {t.id for t in tickets}


def test_sla_compliance_counts_decided_records(db, people, make_incident):
    admin, agent, desk = people
    urgent = {"impact": 1, "urgency": 1}
    met = _resolved(make_incident, agent, desk, "2026-03-02 09:00", "2026-03-02 10:00", **urgent)
    breached = _resolved(
        make_incident, agent, desk, "2026-03-02 09:00", "2026-03-02 15:00", **urgent
    )
    make_incident(assignment_group=desk, now=at("2026-03-30 09:00"))  # running: not decided
    db.session.commit()
    result = figure("sla_compliance", MARCH, admin, kind="resolution", by="day")
    assert (result.value, result.count, result.stats["breached"]) == (50.0, 2, 1.0)
    assert [(p.key, p.value) for p in result.series] == [(date(2026, 3, 2), 50.0)]
    assert behind(db, "sla_compliance", MARCH, admin) == {met.id, breached.id}
    assert behind(db, "sla_compliance", MARCH, admin, part=True) == {breached.id}


def test_incidents_per_ci_and_service_and_mttr(db, people, make_incident, make_ci):
    admin, agent, desk = people
    mail = make_ci("mail-01", "server")
    web = make_ci("web-01", "server")
    one = _resolved(make_incident, agent, desk, "2026-03-02 09:00", "2026-03-02 11:00",
                    ci_ids=[mail.id], affected_service="Mail")  # fmt: skip
    two = _resolved(make_incident, agent, desk, "2026-03-03 09:00", "2026-03-03 13:00",
                    ci_ids=[mail.id, web.id], affected_service="Mail")  # fmt: skip
    three = make_incident(assignment_group=desk, ci_ids=[web.id], now=at("2026-03-04 09:00"))
    make_incident(assignment_group=desk, now=at("2026-03-04 09:00"))  # no CI, no service
    db.session.commit()
    per_ci = figure("incidents_per_ci", MARCH, admin)
    assert [(p.key, p.count) for p in per_ci.series] == [(mail.id, 2), (web.id, 2)]
    assert per_ci.count == 3
    assert behind(db, "incidents_per_ci", MARCH, admin, ci=web.id) == {two.id, three.id}
    assert behind(db, "incidents_per_ci", MARCH, admin) == {one.id, two.id, three.id}
    per_service = figure("incidents_per_service", MARCH, admin)
    assert [(p.key, p.count) for p in per_service.series] == [("Mail", 2)]
    assert behind(db, "incidents_per_service", MARCH, admin, service="Mail") == {one.id, two.id}
    mttr = figure("mttr", MARCH, admin)
    assert [(p.key, p.value, p.count) for p in mttr.series] == [("Mail", 3 * 3600.0, 2)]
    assert behind(db, "mttr", MARCH, admin, service="Mail") == {one.id, two.id}


def test_fulfilment_time_per_catalog_item_and_approval_wait(db, people, org, make_item, place):
    admin = people[0]
    laptop = make_item(approval_policy=[{"kind": "manager"}],
                       task_template=[{"stage": 1, "name": "Hand over"}])  # fmt: skip
    item = place(laptop, now=at("2026-03-02 09:00"))
    requests.decide(item.approvals[0], actor=org.ann, approve=True, now=at("2026-03-02 13:00"))
    db.session.commit()
    requests.change_task_state(item.tasks[0], TaskState.CLOSED, actor=org.ivan,
                               close_code="complete", now=at("2026-03-03 09:00"))  # fmt: skip
    db.session.commit()
    wait = figure("approval_wait", MARCH, admin)
    assert (wait.value, wait.count) == (4 * 3600.0, 1)
    assert behind(db, "approval_wait", MARCH, admin) == {item.id}
    fulfilment = figure("fulfilment_time", MARCH, admin)
    assert (fulfilment.value, fulfilment.count) == (24 * 3600.0, 1)
    assert [(p.key, p.count) for p in fulfilment.series] == [(laptop.id, 1)]
    assert behind(db, "fulfilment_time", MARCH, admin, catalog_item=laptop.id) == {item.id}


def test_knowledge_deflection_rate(db, people, make_user):
    admin = people[0]
    employee = make_user()
    start = at("2026-03-10 09:00")
    for n, outcome in enumerate([AttemptOutcome.SOLVED] * 3 + [AttemptOutcome.TICKET,
                                                               AttemptOutcome.OPEN]):  # fmt: skip
        db.session.add(DeflectionAttempt(token=f"t{n}", user_id=employee.id, outcome=outcome,
                                         started_at=start + timedelta(minutes=n)))  # fmt: skip
    db.session.commit()
    result = figure("kb_deflection", MARCH, admin)
    assert (result.value, result.count, result.stats["open"]) == (75.0, 4, 1.0)
    assert behind(db, "kb_deflection", MARCH, admin) == set()  # attempts are not tickets
