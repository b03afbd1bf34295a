"""Bad ServiceNow exports: the file refused as a whole with the reason (missing columns, a
truncated or empty zip), or each bad row skipped with its own report line (another date
format, an unknown state, a duplicate row, an incident whose rows contradict each other) and
nothing of a refused incident saved. Never a crash."""

from __future__ import annotations

import io
import zipfile

import pytest
from sqlalchemy import select

from app.imports.models import ImportProblem, RunState
from app.imports.servicenow.importer import import_incidents
from app.tickets.models import Ticket

from .servicenow_data import SAMPLE, read, write


@pytest.fixture(scope="module")
def ten() -> tuple[list[str], list[dict[str, str]]]:
    header, rows = read(SAMPLE.read_text())
    keep = set(list(dict.fromkeys(r["number"] for r in rows))[:10])
    return header, [r for r in rows if r["number"] in keep]


def lines(db, run) -> list[tuple[str, str, str, str]]:
    return [
        (p.kind.value, p.where, p.column, p.message)
        for p in db.session.scalars(
            select(ImportProblem).where(ImportProblem.run_id == run.id).order_by(ImportProblem.id)
        )
    ]


def imported(db) -> set[str]:
    return set(
        db.session.scalars(
            select(Ticket.external_number).where(Ticket.external_number.is_not(None))
        )
    )


def test_a_file_without_the_columns_is_refused_with_the_list(db, ten):
    header, rows = ten
    short = [h for h in header if h not in ("opened_at", "priority")]
    run = import_incidents(
        io.BytesIO(write(short, [{h: r[h] for h in short} for r in rows])), "x.csv"
    )
    assert run.state == RunState.FAILED
    assert "opened_at, priority" in run.error
    assert imported(db) == set()


def zipped(data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("log.csv", data)
    return buffer.getvalue()


def test_a_truncated_zip_is_refused(db, ten):
    whole = zipped(write(*ten))
    run = import_incidents(io.BytesIO(whole[: len(whole) // 2]), "log.zip")
    assert run.state == RunState.FAILED
    assert "not a readable zip" in run.error
    assert imported(db) == set()


def test_a_zip_holding_the_csv_imports_like_the_csv(db, ten):
    run = import_incidents(io.BytesIO(zipped(write(*ten))), "log.zip")
    assert run.state == RunState.FINISHED
    assert run.counts["incidents_created"] == 10
    assert run.counts["rows_read"] == len(ten[1])


def test_bad_rows_are_skipped_each_with_its_reason(db, ten):
    header, rows = ten
    rows = [dict(r) for r in rows]
    numbers = list(dict.fromkeys(r["number"] for r in rows))
    first_of = {n: next(i for i, r in enumerate(rows) if r["number"] == n) for n in numbers}
    rows[first_of[numbers[0]] + 1]["sys_updated_at"] = "2016-02-29T08:53:00"
    rows[first_of[numbers[1]] + 1]["incident_state"] = "Limbo"
    rows.insert(first_of[numbers[2]] + 1, dict(rows[first_of[numbers[2]]]))  # a duplicate row
    conflicting = [i for i, r in enumerate(rows) if r["number"] == numbers[3]]
    rows[conflicting[-1]]["opened_at"] = "1/1/2016 00:00"
    run = import_incidents(io.BytesIO(write(header, rows)), "bad.csv")
    assert run.state == RunState.FINISHED
    counts = run.counts
    assert counts["rows_read"] == len(rows)
    assert counts["rows_read"] == counts["rows_imported"] + counts["rows_skipped"]
    assert counts["rows_skipped"] == 3 + len(conflicting)
    assert counts["incidents_created"] == 9
    assert counts["incidents_skipped"] == 1
    report = lines(db, run)
    assert len(report) == counts["rows_skipped"]
    messages = "\n".join(m for *_, m in report)
    assert "'2016-02-29T08:53:00' is not a date like 29/2/2016 01:16" in messages
    assert "Unknown state 'Limbo'" in messages
    assert "a duplicate row" in messages
    assert f"{numbers[3]} has rows that disagree on when and by whom it was opened" in messages
    assert all(where.startswith("line ") for _, where, _, _ in report)
    assert imported(db) == set(numbers) - {numbers[3]}  # nothing of the contradicting one


def test_a_dry_run_saves_no_incident_and_reports_the_same_counts(db, ten):
    raw = write(*ten)
    run = import_incidents(io.BytesIO(raw), "log.csv", dry_run=True)
    assert run.state == RunState.FINISHED
    assert run.dry_run
    assert run.counts["incidents_created"] == 10
    assert imported(db) == set()
    real = import_incidents(io.BytesIO(raw), "log.csv")
    assert real.id != run.id
    assert real.counts == run.counts


def test_the_command_prints_the_report_and_fails_on_a_refused_file(db, app, ten, tmp_path):
    good = tmp_path / "log.csv"
    good.write_bytes(write(*ten))
    result = app.test_cli_runner().invoke(
        args=["import", "servicenow-incidents", str(good), "--dry-run"]
    )
    assert result.exit_code == 0, result.output
    assert "incidents created: 10" in result.output
    assert f"rows read: {len(ten[1])}" in result.output
    assert imported(db) == set()
    bad = tmp_path / "people.csv"
    bad.write_text("name,email\nAda,ada@example.com\n")
    refused = app.test_cli_runner().invoke(args=["import", "servicenow-incidents", str(bad)])
    assert refused.exit_code == 1
    assert "lacks the column(s) number" in refused.output
