"""Recomputing a ticket's SLA records (the session hook, at every commit of a ticket event)
reads the policies with their calendars and nothing of their queues: before, each policy's
group came joined with its manager, and the manager's roles in a statement of their own, on
every write of the load run (issue 20)."""

# The fixtures are imported by name, so arguments of that name redefine them.
# ruff: noqa: F811

from __future__ import annotations

from app.sla.services import refresh_ticket_slas
from tests.conftest import count_queries
from tests.incidents.conftest import make_incident, queue  # noqa: F401  (fixtures)
from tests.sla.conftest import at


def test_refreshing_records_reads_no_queue_and_no_manager(
    db, make_user, make_incident, queue, policy
):
    manager = make_user(roles=["agent"])
    desk = queue("Service Desk", members=(manager,))
    desk.manager_id = manager.id
    policy(desk, targets={5: 240})
    ticket_id = make_incident(assignment_group=desk, now=at("2026-03-02 09:00")).id
    db.session.expire_all()  # as at the start of a request: nothing loaded yet
    with count_queries() as statements:
        assert refresh_ticket_slas([ticket_id], now=at("2026-03-02 10:00")) == 1
    said = "\n".join(statements)
    assert "FROM sla_policies" in said  # the policy and its calendar...
    assert "role_grants" not in said  # ...but no manager's roles
    assert "groups" not in said.split("FROM sla_policies", 1)[1].split("WHERE", 1)[0]
