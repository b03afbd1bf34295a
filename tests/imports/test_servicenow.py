"""ServiceNow's incident log through ``flask import servicenow-incidents``: the sample of its
first 1,000 incidents, every row accounted for, the report's figures checked against the same
figures recomputed from the CSV with the csv module, the history as timeline and events."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from app.imports.models import ExternalRef, ImportProblem, RunState
from app.imports.servicenow.importer import import_incidents
from app.incidents.models import incident_cis
from app.tickets.models import Ticket, TicketEvent

from .servicenow_data import SAMPLE, expected, read


@pytest.fixture(scope="module")
def sample() -> tuple[bytes, list[str], list[dict[str, str]]]:
    raw = SAMPLE.read_bytes()
    header, rows = read(raw.decode())
    return raw, header, rows


def run_on(raw: bytes, name: str = "log.csv", **kwargs):
    return import_incidents(io.BytesIO(raw), name, **kwargs)


def test_the_sample_imports_every_row_and_reports_the_figures_of_the_source(db, sample):
    raw, _, rows = sample
    want = expected(rows)
    run = run_on(raw)
    counts = run.counts
    assert run.state == RunState.FINISHED
    assert counts["rows_read"] == want["rows"]
    outcomes = counts.get("rows_imported", 0) + counts.get("rows_unchanged", 0)
    assert counts["rows_read"] == outcomes + counts.get("rows_skipped", 0)
    assert counts["incidents_created"] == want["incidents"]
    summary = run.summary
    assert summary["incidents"] == want["incidents"]
    assert {k.split(" ")[0]: v for k, v in summary["by_priority"].items()} == {
        k.split(" ")[0]: v for k, v in want["by_priority"].items()
    }
    assert summary["by_final_state"] == dict(want["by_state"])
    assert summary["median_hours_open_to_resolved"] == want["median_hours"]
    assert summary["made_sla"] == want["made_sla"]
    imported = db.session.scalar(
        select(func.count()).select_from(Ticket).where(Ticket.external_system == "ServiceNow")
    )
    assert imported == want["incidents"]
    refs = db.session.scalar(
        select(func.count()).select_from(ExternalRef).where(ExternalRef.kind == "incident")
    )
    assert refs == want["incidents"]
    skipped_lines = db.session.scalar(
        select(func.count()).select_from(ImportProblem).where(ImportProblem.run_id == run.id)
    )
    assert skipped_lines == counts.get("rows_skipped", 0) + counts.get("problems_not_carried", 0)
    events = db.session.scalar(select(func.count()).select_from(TicketEvent))
    assert events > want["incidents"]


def _incident(db, number: str) -> Ticket:
    ticket = db.session.scalar(select(Ticket).where(Ticket.external_number == number))
    assert ticket is not None
    return ticket


def _steps(db, ticket: Ticket) -> list[tuple]:
    from app.auth.models import User

    names = dict(db.session.execute(select(User.id, User.display_name)).all())
    events = db.session.scalars(
        select(TicketEvent)
        .where(TicketEvent.ticket_id == ticket.id)
        .order_by(TicketEvent.created_at, TicketEvent.id)
    )
    return [
        (e.type, e.created_at.strftime("%d/%m/%Y %H:%M"), names.get(e.actor_id), e.data)
        for e in events
    ]


def test_the_history_becomes_the_timeline_at_its_original_times_and_actors(db, sample, signed_in):
    raw, _, _ = sample
    run_on(raw)
    db.session.commit()
    ticket = _incident(db, "INC0000045")
    from app.auth.models import Group

    group = db.session.scalar(select(Group).where(Group.name == "Group 56"))
    assert [(t, at, who) for t, at, who, _ in _steps(db, ticket)] == [
        ("created", "29/02/2016 01:16", "Opened by  8"),
        ("assigned", "29/02/2016 01:23", "Updated by 21"),
        ("state_changed", "29/02/2016 08:53", "Updated by 642"),
        ("state_changed", "05/03/2016 12:00", "Updated by 908"),
    ]
    data = [d for *_, d in _steps(db, ticket)]
    assert data[1] == {"group_id": group.id, "assignee_id": None}
    assert (data[2]["old"], data[2]["new"]) == ("new", "resolved")
    assert (data[3]["old"], data[3]["new"]) == ("resolved", "closed")
    assert ticket.state == "closed"
    assert ticket.resolved_at.strftime("%d/%m/%Y %H:%M") == "29/02/2016 11:29"
    assert ticket.caller.display_name == "Caller 2403"
    reopened = _incident(db, "INC0000102")
    assert reopened.reopen_count == 1
    reopenings = [d for t, _, _, d in _steps(db, reopened) if t == "state_changed"]
    assert {"old": "resolved", "new": "in_progress", "hold_reason": None} in reopenings
    raised = _incident(db, "INC0000062")
    changes = [d for t, _, _, d in _steps(db, raised) if t == "priority_changed"]
    assert changes == [{"old": 3, "new": 2, "overridden": False}]
    client, _ = signed_in("agent")
    page = client.get(f"/incidents/{ticket.number}").get_data(as_text=True)
    assert "ServiceNow: INC0000045" in page
    found = client.get("/search?q=INC0000045").get_data(as_text=True)
    assert f"/incidents/{ticket.number}" in found
    queue = client.get("/incidents/?q=inc0000045&state=closed").get_data(as_text=True)
    assert f"/incidents/{ticket.number}" in queue
    assert f"/incidents/{reopened.number}" not in queue


def test_people_groups_and_cis_named_are_created_inactive_and_marked_imported(db, sample):
    from app.auth.models import User
    from app.cmdb.models import ConfigurationItem

    raw, _, rows = sample
    preexisting = User(username="g56lead", display_name="Resolved by 149", is_active=True)
    db.session.add(preexisting)
    db.session.flush()
    run_on(raw)
    people = {
        r[c]
        for r in rows
        for c in ("caller_id", "opened_by", "sys_updated_by", "assigned_to", "resolved_by")
    } - {"?"}
    users = db.session.scalars(select(User).where(User.display_name.in_(people))).all()
    assert {u.display_name for u in users} == people
    created = [u for u in users if u.id != preexisting.id]
    assert all(not u.is_active for u in created)
    assert all(u.password_hash is None for u in created)
    marks = dict(
        db.session.execute(
            select(ExternalRef.external_id, ExternalRef.imported).where(
                ExternalRef.kind == "person"
            )
        ).all()
    )
    assert marks["Resolved by 149"] is False
    assert marks["Caller 2403"] is True
    ci = db.session.scalar(select(ConfigurationItem).where(ConfigurationItem.name == "cmdb_ci 31"))
    assert ci is not None
    incident = _incident(db, "INC0000820")
    linked = (
        db.session.execute(
            select(incident_cis.c.ci_id).where(incident_cis.c.incident_id == incident.id)
        )
        .scalars()
        .all()
    )
    assert linked == [ci.id]
