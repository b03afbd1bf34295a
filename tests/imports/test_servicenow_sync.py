"""A second run of the same ServiceNow export changes nothing, a newer export (more events)
updates its incidents in place, and an import stopped half way resumes to the same final
state, with no duplicates."""

from __future__ import annotations

import io
from collections import Counter

import pytest
from sqlalchemy import func, select, text

from app.imports.models import ExternalRef, ImportRun, RunState
from app.imports.servicenow.importer import KIND, import_incidents
from app.search.query import matching_ids
from app.tickets.models import JournalEntry, Ticket, TicketEvent

from .servicenow_data import SAMPLE, read, write


@pytest.fixture(scope="module")
def first_300() -> tuple[list[str], list[dict[str, str]]]:
    header, rows = read(SAMPLE.read_text())
    numbers = list(dict.fromkeys(r["number"] for r in rows))[:300]
    keep = set(numbers)
    return header, [r for r in rows if r["number"] in keep]


def renamed(rows: list[dict[str, str]], prefix: str) -> list[dict[str, str]]:
    """The same incidents under other numbers (``INC0000045`` → ``X-INC0000045``): imported
    side by side, they show what an uninterrupted import of the same rows leaves."""
    return [{**r, "number": prefix + r["number"]} for r in rows]


def state(db, prefix: str = "INC") -> dict:
    """What an import leaves for the incidents whose number starts with ``prefix``: their
    fields and timeline, by their ServiceNow number."""
    tickets = db.session.execute(
        select(
            Ticket.id, Ticket.external_number, Ticket.number, Ticket.state, Ticket.priority
        ).where(Ticket.external_number.startswith(prefix))
    ).all()
    ids = {t.id: t.external_number.removeprefix("X-") for t in tickets}
    events = Counter(
        (ids[tid], type_, at)
        for tid, type_, at in db.session.execute(
            select(TicketEvent.ticket_id, TicketEvent.type, TicketEvent.created_at).where(
                TicketEvent.ticket_id.in_(ids)
            )
        )
    )
    entries = db.session.scalar(
        select(func.count()).select_from(JournalEntry).where(JournalEntry.ticket_id.in_(ids))
    )
    return {
        "tickets": sorted((ids[t.id], t.state, t.priority) for t in tickets),
        "numbers": len({t.number for t in tickets}),
        "events": events,
        "entries": entries,
        "refs": db.session.scalar(
            select(func.count())
            .select_from(ExternalRef)
            .where(ExternalRef.kind == "incident", ExternalRef.external_id.startswith(prefix))
        ),
    }


def test_the_same_file_again_changes_nothing(db, first_300):
    raw = write(*first_300)
    first = import_incidents(io.BytesIO(raw), "log.csv")
    before = state(db)
    again = import_incidents(io.BytesIO(raw), "log.csv")
    assert again.id != first.id
    assert again.counts.get("incidents_created", 0) == 0
    assert again.counts.get("incidents_updated", 0) == 0
    assert again.counts["incidents_unchanged"] == first.counts["incidents_created"] == 300
    assert again.counts["rows_read"] == first.counts["rows_read"]
    assert again.counts["rows_unchanged"] == first.counts["rows_imported"]
    assert state(db) == before


def test_a_newer_export_updates_its_incidents_in_place(db, first_300):
    header, rows = first_300
    last_row = {}
    for index, row in enumerate(rows):
        last_row[row["number"]] = index
    cut = {i for i in list(last_row.values())[:40]}  # 40 incidents lose their last update
    older = [r for i, r in enumerate(rows) if i not in cut]
    import_incidents(io.BytesIO(write(header, older)), "old.csv")
    old = state(db)
    run = import_incidents(io.BytesIO(write(header, rows)), "new.csv")
    assert run.counts["incidents_updated"] == 40
    assert run.counts["incidents_unchanged"] == 260
    assert run.counts.get("incidents_created", 0) == 0
    new = state(db)
    assert new["refs"] == old["refs"] == 300
    assert new["numbers"] == 300
    assert sum(new["events"].values()) > sum(old["events"].values())
    import_incidents(io.BytesIO(write(header, renamed(rows, "X-"))), "fresh.csv")
    assert new == state(db, "X-")  # as if the newer export had been imported at once
    again = import_incidents(io.BytesIO(write(header, rows)), "new.csv")
    assert again.counts["incidents_unchanged"] == 300


def test_a_newer_export_is_found_by_its_new_words(db, first_300):
    header, rows = first_300
    number = rows[0]["number"]
    import_incidents(io.BytesIO(write(header, rows)), "old.csv")
    symptom = {"u_symptom": "Zebrafish tank leaking"}
    newer = [{**r, **symptom} if r["number"] == number else r for r in rows]
    run = import_incidents(io.BytesIO(write(header, newer)), "new.csv")
    assert run.counts["incidents_updated"] == 1
    ticket_id = db.session.scalar(select(Ticket.id).where(Ticket.external_number == number))
    found = matching_ids("zebrafish leaking", "ticket")
    assert found is not None
    assert db.session.scalars(found).all() == [ticket_id]
    # The words typos are corrected to, written for the whole batch at once on PostgreSQL.
    words = "SELECT word FROM fts_words WHERE word IN ('zebrafish', 'tank', 'leaking')"
    assert sorted(db.session.scalars(text(words))) == ["leaking", "tank", "zebrafish"]
    if db.engine.dialect.name == "postgresql":  # partial words are completed from these
        lexemes = "SELECT lexeme FROM fts_lexemes WHERE lexeme LIKE 'zebrafish%'"
        assert db.session.scalars(text(lexemes)).all() == ["zebrafish"]


def test_an_import_stopped_half_way_resumes_to_the_same_state(db, first_300):
    raw = write(*first_300)

    class Killed(Exception):
        pass

    def kill(run, batches):
        if batches == 2:
            raise Killed

    with pytest.raises(Killed):
        import_incidents(io.BytesIO(raw), "log.csv", batch_size=50, on_batch=kill)
    stopped = db.session.scalar(select(ImportRun).where(ImportRun.kind == KIND))
    assert stopped.state == RunState.RUNNING
    assert stopped.checkpoint["incidents"] == 100
    half = state(db)
    assert half["refs"] == 100
    resumed = import_incidents(io.BytesIO(raw), "log.csv", batch_size=50)
    assert resumed.id == stopped.id
    assert resumed.state == RunState.FINISHED
    assert resumed.counts["incidents_created"] == 300
    assert resumed.counts["rows_read"] == len(first_300[1])
    assert resumed.summary["incidents"] == 300
    resumed_state = state(db)
    assert resumed_state["refs"] == 300
    assert resumed_state["numbers"] == 300
    header, rows = first_300
    whole = import_incidents(io.BytesIO(write(header, renamed(rows, "X-"))), "whole.csv")
    assert whole.summary == resumed.summary
    assert resumed_state == state(db, "X-")
