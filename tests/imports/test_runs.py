"""What every importer shares: a run's report lines (counted, stored, downloadable), its
progress as the page polls it, resuming an interrupted run by the bytes it reads, external
references that make a second run a sync, and who may see any of it."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import func, select

from app.imports import refs, runs
from app.imports.models import ExternalRef, ImportProblem, ProblemKind, RunState


@pytest.fixture
def admin(client, make_user):
    make_user("impadmin", roles=["admin"])
    client.login("impadmin")
    return client


def test_a_run_counts_every_report_line_and_keeps_its_reason(db):
    run = runs.start("servicenow-incidents", "log.csv", sha256="a" * 64, total=3)
    runs.count(run, "rows_read", 3)
    runs.problem(run, ProblemKind.SKIPPED, "Unknown state 'Limbo'.", where=4, column="state")
    runs.problem(run, "not_carried", "Interfaces are not CIs.", where="dcim.interface 7")
    runs.progress(run, 3, checkpoint={"line": 4})
    runs.finish(run, {"incidents": 1})
    db.session.flush()
    assert run.counts == {"rows_read": 3, "problems_skipped": 1, "problems_not_carried": 1}
    assert run.state == RunState.FINISHED
    assert run.checkpoint is None
    assert run.percent == 100
    lines = db.session.scalars(select(ImportProblem).order_by(ImportProblem.id)).all()
    assert [(p.kind, p.where, p.column) for p in lines] == [
        (ProblemKind.SKIPPED, "4", "state"),
        (ProblemKind.NOT_CARRIED, "dcim.interface 7", ""),
    ]


def test_report_lines_past_the_cap_are_counted_not_stored(db, monkeypatch):
    monkeypatch.setattr(runs, "MAX_PROBLEMS", 2)
    run = runs.start("sheet", "people.csv")
    for line in range(5):
        runs.problem(run, "error", "Bad e-mail address.", where=line)
    db.session.flush()
    assert run.counts["problems_error"] == 5
    stored = db.session.scalar(
        select(func.count()).select_from(ImportProblem).where(ImportProblem.run_id == run.id)
    )
    assert stored == 2


def test_the_same_bytes_resume_the_interrupted_run_and_other_bytes_start_anew(db):
    digest = runs.sha256_of(io.BytesIO(b"number,incident_state\n"))
    first, resumed = runs.start_or_resume("servicenow-incidents", "a.csv", sha256=digest)
    assert not resumed
    runs.progress(first, 500, checkpoint={"line": 501})
    db.session.flush()
    again, resumed = runs.start_or_resume("servicenow-incidents", "a.csv", sha256=digest)
    assert resumed
    assert again.id == first.id
    assert again.checkpoint == {"line": 501}
    runs.finish(again)
    db.session.flush()
    third, resumed = runs.start_or_resume("servicenow-incidents", "a.csv", sha256=digest)
    assert not resumed
    assert third.id != first.id
    other, resumed = runs.start_or_resume("servicenow-incidents", "b.csv", sha256="b" * 64)
    assert not resumed
    assert other.id not in (first.id, third.id)


def test_external_references_are_found_in_bulk_and_updated_in_place(db):
    run = runs.start("netbox", "netbox.json")
    data = {"name": "dmi01-akron-rtr01", "role": "router"}
    refs.remember(
        "netbox", "device", "1", object_type="ci", object_id=10,
        fingerprint=refs.fingerprint(data), run=run,
    )  # fmt: skip
    db.session.flush()
    found = refs.known("netbox", "device", ["1", "2", "1"])
    assert list(found) == ["1"]
    assert found["1"].fingerprint == refs.fingerprint(
        {"role": "router", "name": "dmi01-akron-rtr01"}
    )
    refs.remember(
        "netbox", "device", "1", object_type="ci", object_id=11, existing=found["1"], run=run
    )
    db.session.flush()
    assert db.session.scalar(select(func.count()).select_from(ExternalRef)) == 1
    assert [r.external_id for r in refs.external_ids("ci", 11)] == ["1"]


def test_the_run_page_shows_progress_counts_and_report_lines(admin, db):
    run = runs.start("itop", "itop.xml", total=10)
    runs.count(run, "cis_created", 7)
    runs.problem(run, "skipped", "A server with no name.", where="Server 12", column="name")
    runs.progress(run, 4)
    db.session.commit()
    page = admin.get(f"/admin/imports/runs/{run.id}").get_data(as_text=True)
    assert "4 of 10" in page
    assert "every 2s" in page
    assert "A server with no name." in page
    assert "Server 12" in page
    fragment = admin.get(f"/admin/imports/runs/{run.id}/progress")
    assert fragment.status_code == 200
    assert 'value="40"' in fragment.get_data(as_text=True)
    runs.finish(run, {"cis": 7})
    db.session.commit()
    done = admin.get(f"/admin/imports/runs/{run.id}/progress").get_data(as_text=True)
    assert "every 2s" not in done
    assert "CIs created" in done
    listing = admin.get("/admin/imports/").get_data(as_text=True)
    assert f"/admin/imports/runs/{run.id}" in listing
    assert "itop.xml" in listing


def test_the_run_page_reads_in_swedish_for_a_swedish_browser(admin, db):
    run = runs.start("itop", "itop.xml", total=1200)
    runs.count(run, "cis_created", 7)
    runs.problem(run, "not_carried", "A contract.", where="Contract 3")
    runs.progress(run, 1000)
    db.session.commit()
    swedish = admin.get(f"/admin/imports/runs/{run.id}", headers={"Accept-Language": "sv"})
    page = swedish.get_data(as_text=True)
    assert "Förlopp" in page
    assert "1\xa0000 av 1\xa0200 rader" in page
    assert ">Pågår<" in page
    assert "Inte överfört (1)" in page
    english = admin.get(f"/admin/imports/runs/{run.id}").get_data(as_text=True)
    assert "1,000 of 1,200 rows" in english
    assert "Not carried (1)" in english
    assert "Förlopp" not in english


def test_the_report_downloads_every_line_as_csv(admin, db):
    run = runs.start("sheet", "people.csv")
    runs.problem(run, "error", "=HYPERLINK(1) is not an e-mail address.", where=2, column="email")
    runs.fail(run, "1 problem: nothing was saved.")
    db.session.commit()
    response = admin.get(f"/admin/imports/runs/{run.id}/report.csv", buffered=True)
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["Kind", "Where", "Column", "Problem"]
    assert rows[1][:3] == ["Error", "2", "email"]
    assert not rows[1][3].startswith("=")
    assert admin.get(f"/admin/imports/runs/{run.id}/report.pdf").status_code == 422


def test_only_administrators_see_imports(client, make_user, db):
    run = runs.start("sheet", "people.csv")
    db.session.commit()
    make_user("agentx", roles=["agent"])
    client.login("agentx")
    assert client.get("/admin/imports/").status_code == 403
    assert client.get(f"/admin/imports/runs/{run.id}").status_code == 403


def test_an_unknown_run_is_a_404(admin):
    assert admin.get("/admin/imports/runs/999999").status_code == 404
    assert admin.get("/admin/imports/runs/999999/progress").status_code == 404


def test_figures_and_where_lines_point_read_in_the_readers_format(admin, db):
    """A summary's percentages and counts, and a report line's ``line 3``, in Swedish: a
    decimal comma, a space between thousands, ``rad 3``; in English as written."""
    from app.i18n import N_
    from app.i18n.stored import stored

    run = runs.start("servicenow", "log.csv")
    runs.problem(run, "skipped", "An old line.", where="line 3")
    runs.finish(
        run,
        {
            "made_sla_percent": 97.5,
            "matrix_in_force_reproduces": stored(
                N_("%(hits)s of %(total)s rows (%(percent)s %%)"),
                hits=1234,
                total=1300,
                percent=94.92,
            ),
        },
    )
    db.session.commit()
    url = f"/admin/imports/runs/{run.id}"
    swedish = admin.get(url, headers={"Accept-Language": "sv"}).get_data(as_text=True)
    assert ">97,5<" in swedish
    assert "1\xa0234 av 1\xa0300 rader (94,92 %)" in swedish
    assert "<td>rad 3</td>" in swedish
    english = admin.get(url).get_data(as_text=True)
    assert ">97.5<" in english
    assert "1,234 of 1,300 rows (94.92 %)" in english
    assert "<td>line 3</td>" in english


def test_an_itop_objects_where_reads_its_line_in_the_readers_language(admin, db):
    """iTop CSV objects point at ``Server.csv line 3: Server 5``: the ``line`` is worded like
    a bare ``line 3``; the file and the object stay as they are, and so does a where without
    a line (an object's id)."""
    run = runs.start("itop", "itop.zip")
    runs.problem(run, "not_carried", "Not carried.", where="Server.csv line 3: Server 5")
    runs.problem(run, "notice", "Read once.", where="Pipeline line 2.csv line 14")
    runs.problem(run, "notice", "Kept.", where="Server::7")
    db.session.commit()
    url = f"/admin/imports/runs/{run.id}"
    swedish = admin.get(url, headers={"Accept-Language": "sv"}).get_data(as_text=True)
    assert "<td>Server.csv rad 3: Server 5</td>" in swedish
    assert "<td>Pipeline line 2.csv rad 14</td>" in swedish
    assert "<td>Server::7</td>" in swedish
    english = admin.get(url).get_data(as_text=True)
    assert "<td>Server.csv line 3: Server 5</td>" in english
    assert "<td>Pipeline line 2.csv line 14</td>" in english
    report = admin.get(f"{url}/report.csv", headers={"Accept-Language": "sv"}, buffered=True)
    rows = list(csv.reader(io.StringIO(report.get_data(as_text=True).lstrip("\ufeff"))))
    assert [row[1] for row in rows[1:]] == [
        "Server.csv rad 3: Server 5",
        "Pipeline line 2.csv rad 14",
        "Server::7",
    ]
