"""ServiceNow's incident log through ``flask import servicenow-incidents``: the sample of its
first 1,000 incidents, every row accounted for, the report's figures checked against the same
figures recomputed from the CSV with the csv module, the history as timeline and events."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from app.imports.models import ExternalRef, ImportProblem, RunState
from app.imports.servicenow.importer import import_incidents
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
