"""``/admin/imports/servicenow``: administrators upload an export, the run starts (here
inline instead of in a thread) and its page shows the counts; a file that is not the export is
refused with 422 and the reason, and nothing starts."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from app.imports.models import ImportRun, RunState
from app.imports.servicenow import views
from app.tickets.models import Ticket

from .servicenow_data import SAMPLE, read, write


@pytest.fixture
def inline(monkeypatch):
    monkeypatch.setattr(views, "in_background", lambda work: work())


@pytest.fixture
def ten() -> bytes:
    header, rows = read(SAMPLE.read_text())
    keep = set(list(dict.fromkeys(r["number"] for r in rows))[:10])
    return write(header, [r for r in rows if r["number"] in keep])


def upload(client, data: bytes, name: str = "incidents.csv", **extra):
    return client.post("/admin/imports/servicenow", {"file": (io.BytesIO(data), name), **extra})


def test_an_upload_runs_in_the_background_and_the_run_page_reports_it(signed_in, db, inline, ten):
    client, _ = signed_in("admin")
    listing = client.get("/admin/imports/").get_data(as_text=True)
    assert "/admin/imports/servicenow" in listing
    response = upload(client, ten)
    assert response.status_code == 302
    run = db.session.scalar(select(ImportRun).order_by(ImportRun.id.desc()))
    assert response.headers["Location"].endswith(f"/admin/imports/runs/{run.id}")
    db.session.refresh(run)
    assert run.state == RunState.FINISHED
    assert run.counts["incidents_created"] == 10
    page = client.get(f"/admin/imports/runs/{run.id}").get_data(as_text=True)
    assert "Incidents created" in page
    assert "Matrix in force reproduces" in page
    imported = db.session.scalar(
        select(func.count()).select_from(Ticket).where(Ticket.external_system == "ServiceNow")
    )
    assert imported == 10


def test_a_dry_run_from_the_page_saves_no_incident(signed_in, db, inline, ten):
    client, _ = signed_in("admin")
    assert upload(client, ten, dry_run="y").status_code == 302
    run = db.session.scalar(select(ImportRun).order_by(ImportRun.id.desc()))
    db.session.refresh(run)
    assert run.dry_run
    assert run.counts["incidents_created"] == 10
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == 0


def test_a_file_that_is_not_the_export_is_refused_with_the_reason(signed_in, db, inline):
    client, _ = signed_in("admin")
    response = upload(client, b"name,email\nAda,ada@example.com\n", "people.csv")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "lacks the column(s) number, incident_state" in page
    truncated = upload(client, b"PK\x03\x04garbage", "log.zip")
    assert truncated.status_code == 422
    assert "not a readable zip file" in truncated.get_data(as_text=True)
    assert upload(client, b"", "empty.csv").status_code == 422
    assert db.session.scalar(select(func.count()).select_from(ImportRun)) == 0


def test_only_administrators_import(signed_in, db, ten):
    client, _ = signed_in("agent")
    assert client.get("/admin/imports/servicenow").status_code == 403
    assert upload(client, ten).status_code == 403


def test_with_redis_the_upload_goes_through_the_outbox(signed_in, db, app, ten, monkeypatch):
    from app.outbox import deliver
    from app.outbox import services as outbox
    from app.outbox.models import OutboxMessage

    queued: list[list[int]] = []
    monkeypatch.setattr(outbox, "_enqueue_jobs", lambda url, ids: queued.append(ids))
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:6379/0")
    client, _ = signed_in("admin")
    assert upload(client, ten).status_code == 302
    [message] = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == views.JOB)
    ).all()
    assert queued == [[message.id]]
    run = db.session.get(ImportRun, message.payload["run"])
    assert run.state == RunState.RUNNING  # waits for a worker
    assert deliver(message.id)  # what the RQ worker does
    db.session.refresh(run)
    assert run.state == RunState.FINISHED
    assert run.counts["incidents_created"] == 10
    assert not deliver(message.id)  # done: never run twice
