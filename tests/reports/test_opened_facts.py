"""A ticket opened in the committing transaction has its facts computed from the ticket and
the events in memory, without looking for a fact row it cannot have yet (issue 20: three
statements less at every opening): the stored facts and rollups equal a recomputation."""

# The fixtures are imported by name, so arguments of that name redefine them.
# ruff: noqa: F811

from __future__ import annotations

from app.incidents import calls, services
from app.reports.rollups.facts import _old_facts, compute_facts, recompute_daily, stored_daily
from app.reports.rollups.hooks import NEW_TICKETS
from tests.conftest import count_queries
from tests.incidents.conftest import queue  # noqa: F401  (fixtures)


def report_reads(statements: list[str]) -> list[str]:
    flat = [" ".join(s.split()) for s in statements]
    return [
        s
        for s in flat
        if "FROM report_ticket_facts" in s
        or "FROM ticket_events WHERE ticket_events.ticket_id IN" in s
        or ("FROM tickets LEFT OUTER JOIN incidents" in s)
    ]


def open_in(group, agent, title: str):
    return services.open_incident(
        caller=agent, opened_by=agent, short_description=title, assignment_group=group
    )


def test_an_opened_incident_s_facts_come_from_memory(db, make_user, queue):
    agent = make_user(roles=["agent"])
    group = queue("Service Desk", members=(agent,))
    with count_queries() as statements:
        incident = open_in(group, agent, "Printer")
        db.session.commit()
    assert report_reads(statements) == []
    assert NEW_TICKETS not in db.session.info  # dropped with the commit
    assert _old_facts([incident.id]) == compute_facts([incident.id])
    assert stored_daily() == recompute_daily()


def test_a_call_resolved_at_once_counts_its_resolution(db, make_user, queue):
    agent = make_user(roles=["agent"])
    caller = make_user()
    group = queue("Service Desk", members=(agent,))
    with count_queries() as statements:
        incident = calls.open_for_caller(
            caller=caller,
            agent=agent,
            group=group,
            assignee=agent,
            resolution=calls.Resolution("solved_remotely", "Restarted the spooler."),
            short_description="Printer",
        )
        db.session.commit()
    assert report_reads(statements) == []  # counted from memory, resolution included
    facts = _old_facts([incident.id])
    assert facts == compute_facts([incident.id])
    assert facts[0]["resolved_day"] is not None
    assert stored_daily() == recompute_daily()


def test_a_ticket_rolled_back_in_a_savepoint_is_not_counted(db, make_user, queue):
    agent = make_user(roles=["agent"])
    group = queue("Service Desk", members=(agent,))
    kept = open_in(group, agent, "Kept")
    savepoint = db.session.begin_nested()
    gone = open_in(group, agent, "Gone")
    gone_id = gone.id
    savepoint.rollback()
    db.session.commit()
    assert _old_facts([kept.id]) == compute_facts([kept.id])
    assert _old_facts([gone_id]) == []
    assert stored_daily() == recompute_daily()


def test_an_older_ticket_s_facts_are_still_read(db, make_user, queue):
    agent = make_user(roles=["agent"])
    group = queue("Service Desk", members=(agent,))
    incident = open_in(group, agent, "Mouse")
    db.session.commit()
    with count_queries() as statements:
        services.assign_incident(incident, group=group, assignee=agent, actor=agent)
        db.session.commit()
    assert [s for s in report_reads(statements) if "FROM report_ticket_facts" in s]
    assert _old_facts([incident.id]) == compute_facts([incident.id])
