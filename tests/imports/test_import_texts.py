"""What an import wrote about a run (why rows were skipped, why a file was refused, its
summary) is kept as a message and its parameters, and each reader reads it in their own
language: Swedish for a Swedish reader, English for an English one, on the run page and in the
downloaded report. Lines stored before (plain English) are shown as they are."""

from __future__ import annotations

import io
import zipfile
from html import unescape

import pytest
from sqlalchemy import select

from app.imports import runs
from app.imports.models import ImportProblem, ImportRun, ProblemKind, RunState
from app.imports.servicenow.importer import import_incidents

from .servicenow_data import SAMPLE, read, write


@pytest.fixture(scope="module")
def limbo() -> bytes:
    """Ten incidents, one of whose rows is in a state ServiceNow does not have."""
    header, rows = read(SAMPLE.read_text())
    keep = set(list(dict.fromkeys(r["number"] for r in rows))[:10])
    rows = [dict(r) for r in rows if r["number"] in keep]
    rows[1]["incident_state"] = "Limbo"
    return write(header, rows)


def page_as(signed_in, db, language: str, *urls: str) -> list[str]:
    client, user = signed_in("admin")
    user.language = language
    db.session.commit()
    return [unescape(client.get(url, buffered=True).get_data(as_text=True)) for url in urls]


@pytest.mark.parametrize(
    ("language", "line", "summary"),
    [
        ("sv", "Okänt tillstånd 'Limbo' (kända:", "av"),
        ("en", "Unknown state 'Limbo' (known:", "of"),
    ],
)
def test_a_skipped_row_reads_in_the_readers_language(signed_in, db, limbo, language, line, summary):
    run = import_incidents(io.BytesIO(limbo), "limbo.csv")
    assert run.state == RunState.FINISHED
    [problem] = db.session.scalars(select(ImportProblem).where(ImportProblem.run_id == run.id))
    assert problem.message.startswith("Unknown state 'Limbo' (known:")  # English kept
    old = ImportProblem(run_id=run.id, kind=ProblemKind.NOTICE, message="An old line, in English.")
    db.session.add(old)
    db.session.commit()
    url = f"/admin/imports/runs/{run.id}"
    page, report = page_as(signed_in, db, language, url, f"{url}/report.csv")
    assert line in page
    assert "An old line, in English." in page  # stored before: shown as it is
    hits = run.summary["matrix_in_force_reproduces"]["args"]["hits"]
    assert f"{hits} {summary} " in page
    assert line in report
    assert "An old line, in English." in report


@pytest.mark.parametrize(
    ("language", "text"),
    [("sv", "log.zip är ingen läsbar zip-fil"), ("en", "log.zip is not a readable zip file")],
)
def test_a_refused_file_says_why_in_the_readers_language(signed_in, db, limbo, language, text):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("log.csv", limbo)
    whole = buffer.getvalue()
    run = import_incidents(io.BytesIO(whole[: len(whole) // 2]), "log.zip")
    assert run.state == RunState.FAILED
    assert "log.zip is not a readable zip file" in (run.error or "")  # English kept
    db.session.commit()
    [page] = page_as(signed_in, db, language, f"/admin/imports/runs/{run.id}")
    assert page.count(text) >= 2  # the run's error and its report line


def test_an_error_stored_before_is_shown_as_it_is(signed_in, db):
    run = runs.start("servicenow-incidents", "old.csv", sha256="d" * 64)
    db.session.flush()
    runs.fail(run, "An old refusal, in English.")
    db.session.commit()
    assert db.session.get(ImportRun, run.id).error_detail is None
    [page] = page_as(signed_in, db, "sv", f"/admin/imports/runs/{run.id}")
    assert "An old refusal, in English." in page


@pytest.mark.parametrize(
    ("language", "texts"),
    [
        (
            "sv",
            (
                "Källan kan inte läsas: dump.json är inte JSON:",
                "Exporten innehåller ingen XML- eller CSV-fil. Ingenting importerades.",
            ),
        ),
        (
            "en",
            (
                "The source cannot be read: dump.json is not JSON:",
                "The export holds no XML or CSV file. Nothing was imported.",
            ),
        ),
    ],
)
def test_netbox_and_itop_refusals_read_in_the_readers_language(signed_in, db, language, texts):
    from app.imports.itop.service import import_itop
    from app.imports.netbox.importer import import_netbox

    netbox = import_netbox("dump.json", [("dump.json", b"{not json")], dry_run=False)
    itop, _reading = import_itop([], source_name="empty.zip", dry_run=False)
    assert netbox.state == itop.state == RunState.FAILED
    assert (netbox.error or "").startswith("The source cannot be read: dump.json is not JSON")
    db.session.commit()
    pages = page_as(
        signed_in,
        db,
        language,
        f"/admin/imports/runs/{netbox.id}",
        f"/admin/imports/runs/{itop.id}",
    )
    for page, text in zip(pages, texts, strict=True):
        assert text in page
