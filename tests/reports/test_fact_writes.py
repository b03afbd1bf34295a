"""A commit writes only the report facts its events changed: a work note (no fact of the
ticket moves) writes no fact row, a resolution writes its ticket's, and the stored facts stay
equal to a recomputation (issue 20: each fact row written updates eight indexes, and the load
run's agents add work notes all day)."""

# The fixtures are imported by name, so arguments of that name redefine them.
# ruff: noqa: F811

from __future__ import annotations

import re

from app.incidents import services
from app.incidents.workflow import State, Transition
from app.reports.rollups.facts import _old_facts, compute_facts
from tests.conftest import count_queries
from tests.incidents.conftest import make_incident, queue  # noqa: F401  (fixtures)

FACT_WRITE = "INSERT INTO report_ticket_facts"
RESOLVE = Transition(
    State.RESOLVED, resolution_code="solved_remotely", resolution_notes="Restarted."
)


def stored_equal_recomputed(ticket_id: int) -> bool:
    return _old_facts([ticket_id]) == compute_facts([ticket_id])


def test_a_work_note_writes_no_fact_and_a_resolution_does(db, make_user, make_incident, queue):
    agent = make_user(roles=["agent"])
    group = queue("Service Desk", members=(agent,))
    incident = make_incident(assignment_group=group)
    services.assign_incident(incident, group=group, assignee=agent, actor=agent)
    db.session.commit()
    with count_queries() as noted:
        services.comment(incident, author=agent, body="Looking at the logs.", public=False)
        db.session.commit()
    assert "INSERT INTO journal_entries" in " ".join(noted)  # the note was written...
    assert [s for s in noted if FACT_WRITE in s] == []  # ...and no fact
    assert stored_equal_recomputed(incident.id)
    with count_queries() as resolved:
        services.change_state(incident, RESOLVE, actor=agent)
        db.session.commit()
    assert len([s for s in resolved if FACT_WRITE in s]) == 1
    assert stored_equal_recomputed(incident.id)
    assert _old_facts([incident.id])[0]["resolved_day"] is not None


def test_facts_and_rollups_are_one_statement_on_postgresql_one_per_table_on_sqlite(
    db, make_user, make_incident, queue
):
    """Two resolutions in one commit: on PostgreSQL the facts and the four rollups they move
    are one statement (each write a ``WITH``); on SQLite, which has no writing
    ``WITH``, each table is one statement for all its rows, in the same order."""
    from app.db import is_postgresql
    from app.reports.rollups.agents import agent_counts, stored_agents
    from app.reports.rollups.facts import (
        channel_totals,
        duration_buckets,
        recompute_daily,
        stored_channels,
        stored_daily,
        stored_durations,
    )

    agent = make_user(roles=["agent"])
    group = queue("Service Desk", members=(agent,))
    incidents = [make_incident(assignment_group=group) for _ in range(2)]
    for incident in incidents:
        services.assign_incident(incident, group=group, assignee=agent, actor=agent)
    db.session.commit()
    with count_queries() as resolved:
        for incident in incidents:
            services.change_state(incident, RESOLVE, actor=agent)
        db.session.commit()
    written = [re.findall(r"INSERT INTO (report_\w+)", s) for s in resolved if "INTO report_" in s]
    tables = [
        "report_ticket_facts",
        "report_daily",
        "report_monthly_durations",
        "report_daily_channels",
        "report_monthly_agents",
    ]
    if is_postgresql(db.session):
        # WITHs written last held first: PostgreSQL runs them in the order held (see
        # tests/test_commit_writes.py), as SQLite runs the statements one by one.
        assert written == [tables[::-1]]
    else:
        assert written == [[table] for table in tables]
    facts = _old_facts([incident.id for incident in incidents])
    assert facts == compute_facts([incident.id for incident in incidents])
    assert stored_daily() == recompute_daily()
    assert +stored_durations() == +duration_buckets(facts)
    assert stored_channels() == channel_totals(facts)
    assert +stored_agents() == +agent_counts(facts)
