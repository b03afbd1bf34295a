"""The imported history drives what reads ticket events: an SLA policy's clocks run at the
log's original times, and the report facts and daily rollups count the incidents as the
import summary does (recomputed from the CSV here) the moment the import commits, with no
``flask reports rollup`` after it."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from statistics import median

import pytest
from sqlalchemy import select

from app.auth.models import Group
from app.imports.servicenow.importer import import_incidents
from app.reports.rollups.facts import recompute_daily, stored_daily
from app.reports.rollups.models import DailyRollup, TicketFact
from app.sla.models import SlaCalendar, SlaPolicy, TaskSla
from app.tickets.models import Ticket

from .servicenow_data import SAMPLE, expected, read, write

ALWAYS = [[["00:00", "24:00"]]] * 7


@pytest.fixture(scope="module")
def first_200() -> tuple[list[str], list[dict[str, str]]]:
    header, rows = read(SAMPLE.read_text())
    keep = set(list(dict.fromkeys(r["number"] for r in rows))[:200])
    return header, [r for r in rows if r["number"] in keep]


def test_sla_clocks_run_at_the_original_times(db, first_200):
    group = Group(name="Group 56", is_assignment_group=True)
    calendar = SlaCalendar(name="Always", zone="UTC", week=ALWAYS)
    db.session.add_all([group, calendar])
    db.session.flush()
    policy = SlaPolicy(
        name="Group 56 resolution", kind="resolution", scope="ticket", group_id=group.id,
        calendar=calendar, targets={str(p): 24 * 60 for p in range(1, 6)},
        pause_reasons=[], warnings=[50, 75],
    )  # fmt: skip
    db.session.add(policy)
    db.session.commit()
    import_incidents(io.BytesIO(write(*first_200)), "log.csv")
    ticket = db.session.scalar(select(Ticket).where(Ticket.external_number == "INC0000045"))
    record = db.session.scalar(select(TaskSla).where(TaskSla.ticket_id == ticket.id))
    assert record is not None
    assert record.started_at == datetime(2016, 2, 29, 1, 16, tzinfo=UTC)  # opened_at
    assert record.stopped_at == datetime(2016, 2, 29, 8, 53, tzinfo=UTC)  # the Resolved update
    assert record.stage.value == "met"
    assert record.group_id == group.id


def test_the_reports_count_the_import_as_its_summary_without_a_rollup(db, first_200):
    header, rows = first_200
    want = expected(rows)
    run = import_incidents(io.BytesIO(write(header, rows)), "log.csv", batch_size=70)
    ids = select(Ticket.id).where(Ticket.external_system == "ServiceNow")
    facts = db.session.scalars(select(TicketFact).where(TicketFact.ticket_id.in_(ids))).all()
    assert len(facts) == want["incidents"] == run.summary["incidents"]
    by_priority: dict[str, int] = {}
    hours: dict[str, list[float]] = {}
    for fact in facts:
        by_priority[str(fact.priority)] = by_priority.get(str(fact.priority), 0) + 1
        if fact.resolved_at is not None:
            seconds = (fact.resolved_at - fact.opened_at).total_seconds()
            hours.setdefault(str(fact.priority), []).append(seconds / 3600)
    assert by_priority == {k.split(" ")[0]: v for k, v in want["by_priority"].items()}
    medians = {p: round(median(v), 2) for p, v in hours.items()}
    assert medians == want["median_hours"] == run.summary["median_hours_open_to_resolved"]
    daily = db.session.scalars(select(DailyRollup)).all()
    assert sum(d.opened for d in daily) == want["incidents"]
    assert sum(d.resolved for d in daily) == len([f for f in facts if f.resolved_at is not None])
    assert stored_daily() == recompute_daily()  # the rollup moved exactly by the facts
