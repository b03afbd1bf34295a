"""The report hook uses the events the SLA hook read in the same commit: with an SLA policy
on the queue, a write reads its tickets' events once before the commit instead of twice (one
statement less at every write of the load run; issue 20), and the stored facts still equal a
recomputation. Without a policy the report hook reads them itself. The active policies are
read once for both, with a policy or without."""

# The fixtures are imported by name, so arguments of that name redefine them.
# ruff: noqa: F811

from __future__ import annotations

from app.incidents import services
from app.incidents.workflow import State, Transition
from app.reports.rollups.facts import _old_facts, compute_facts
from app.sla.hooks import ACTIVE_POLICIES
from app.tickets.event_hooks import EVENT_ROWS
from tests.conftest import count_queries
from tests.incidents.conftest import make_incident, queue  # noqa: F401  (fixtures)
from tests.sla.conftest import calendar_row, policy  # noqa: F401  (fixtures)

RESOLVE = Transition(
    State.RESOLVED, resolution_code="solved_remotely", resolution_notes="Restarted."
)


def event_reads(statements: list[str]) -> list[str]:
    flat = [" ".join(s.split()) for s in statements]
    return [s for s in flat if "FROM ticket_events WHERE ticket_events.ticket_id IN" in s]


def resolve_and_count(db, make_user, make_incident, queue, policy=None) -> tuple[int, list[str]]:
    """An assigned incident in a queue (with an SLA policy if ``policy``), resolved: its id and
    the statements of the resolution and its commit."""
    agent = make_user(roles=["agent"])
    group = queue("Service Desk", members=(agent,))
    if policy is not None:
        policy(group, targets={5: 240})
    incident = make_incident(assignment_group=group)
    services.assign_incident(incident, group=group, assignee=agent, actor=agent)
    db.session.commit()
    with count_queries() as resolved:
        services.change_state(incident, RESOLVE, actor=agent)
        db.session.commit()
    return incident.id, resolved


def test_a_write_reads_its_events_once_for_the_sla_and_the_reports(
    db, make_user, make_incident, queue, policy
):
    ticket_id, resolved = resolve_and_count(db, make_user, make_incident, queue, policy)
    assert len(event_reads(resolved)) == 1
    assert EVENT_ROWS not in db.session.info  # dropped with the commit
    assert _old_facts([ticket_id]) == compute_facts([ticket_id])
    assert _old_facts([ticket_id])[0]["resolved_day"] is not None


def test_without_a_policy_the_reports_read_the_events_themselves(
    db, make_user, make_incident, queue
):
    ticket_id, resolved = resolve_and_count(db, make_user, make_incident, queue)
    assert len(event_reads(resolved)) == 1
    assert _old_facts([ticket_id]) == compute_facts([ticket_id])


def policy_reads(statements: list[str]) -> list[str]:
    return [s for s in statements if "FROM sla_policies" in s]


def test_a_write_reads_the_active_policies_once_for_the_sla_and_the_reports(
    db, make_user, make_incident, queue, policy
):
    ticket_id, resolved = resolve_and_count(db, make_user, make_incident, queue, policy)
    assert len(policy_reads(resolved)) == 1  # the SLA's queues and the reports' calendars
    assert ACTIVE_POLICIES not in db.session.info  # dropped with the commit
    assert _old_facts([ticket_id]) == compute_facts([ticket_id])


def test_without_a_policy_one_read_says_so_to_both(db, make_user, make_incident, queue):
    _ticket_id, resolved = resolve_and_count(db, make_user, make_incident, queue)
    assert len(policy_reads(resolved)) == 1
    assert not [s for s in resolved if "FROM task_slas" in s]
