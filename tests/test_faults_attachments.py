"""The attachment store cannot be written (the directory store's folder is missing, read-only
or full): a form with a file gets a clear message on its file field, with what was typed kept,
and nothing of it is saved: no incident without its file, no reply, no blob."""

from __future__ import annotations

import io
import logging

import pytest
from sqlalchemy import func, select

from app.files.models import StoredFile
from app.incidents import services
from app.incidents.models import Incident
from app.tickets.models import JournalEntry

MESSAGE = "The file could not be stored just now."


@pytest.fixture
def unwritable_store(app, monkeypatch, tmp_path):
    """The directory store, its folder under a plain file: every write fails (as root, a
    read-only folder would not stop the test process)."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the attachments folder should be")
    monkeypatch.setitem(app.config, "ATTACHMENT_STORE", "directory")
    monkeypatch.setitem(app.config, "ATTACHMENTS_DIR", str(blocker / "attachments"))


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_report_whose_file_cannot_be_stored_is_refused_whole(
    signed_in, db, unwritable_store, caplog
):
    client, _employee = signed_in("employee")
    with caplog.at_level(logging.ERROR, logger="app.tickets.attachments"):
        response = client.post(
            "/incidents/report",
            {
                "short_description": "Screen flickers",
                "urgency": "3",
                "attachment": (io.BytesIO(b"PNG..."), "screen.png"),
            },
            content_type="multipart/form-data",
        )
    assert response.status_code == 422
    assert MESSAGE in response.text
    assert 'value="Screen flickers"' in response.text
    assert count(db, Incident) == 0
    assert count(db, StoredFile) == 0
    assert any("could not write screen.png" in r.getMessage() for r in caplog.records)


def test_a_reply_whose_file_cannot_be_stored_is_not_saved(signed_in, db, unwritable_store):
    client, employee = signed_in("employee")
    incident = services.open_incident(
        caller=employee, opened_by=employee, short_description="Laptop does not start"
    )
    db.session.commit()
    replies = count(db, JournalEntry)
    response = client.post(
        f"/incidents/{incident.number}/comment",
        {"body": "Here is the log", "attachment": (io.BytesIO(b"log"), "app.log")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert MESSAGE in response.text
    assert count(db, JournalEntry) == replies
    assert count(db, StoredFile) == 0
