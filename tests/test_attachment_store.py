"""The shared attachment store through the pages people use, on both backends
(``ATTACHMENT_STORE=database|directory``) and both databases: what is uploaded downloads
byte for byte, a missing file is a logged 404, the upload limit still answers 413, and the
mail intake's entry point (``store_bytes``) keeps the portal's rules. (The limit's 413 on
both backends: ``tests/incidents/test_views.py``.)"""

# The incident fixtures are imported by name, so arguments of that name redefine them.
# ruff: noqa: F811

from __future__ import annotations

import hashlib
import io
import logging
import os
import re

import pytest
from sqlalchemy import func, select

from app import files
from app.errors import Invalid
from app.files.models import Location, StoredFile
from app.tickets import attachments
from app.tickets.models import Attachment
from tests.incidents.conftest import make_incident  # noqa: F401  (fixture)

PHOTO = os.urandom(3000) + b"\x00\xff" * 100  # binary, not text: no byte may change


def _attachment_links(page: str) -> list[str]:
    return re.findall(r'href="(/incidents/[^"]+/attachments/\d+)"', page)


def _blob_count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(StoredFile))


def test_a_caller_uploads_in_the_portal_and_downloads_the_same_bytes(
    attachment_store, signed_in, db
):
    client, _ = signed_in("employee")
    response = client.post(
        "/incidents/report",
        {
            "short_description": "Printer jams on page two",
            "urgency": "3",
            "attachment": (io.BytesIO(PHOTO), "jam photo.jpg"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    page = client.get(response.location).get_data(as_text=True)
    [link] = _attachment_links(page)
    download = client.get(link)
    assert download.status_code == 200
    assert download.data == PHOTO
    assert download.mimetype == "image/jpeg"
    assert 'attachment; filename="jam photo.jpg"' in download.headers["Content-Disposition"]
    assert download.headers["ETag"].strip('"') == hashlib.sha256(PHOTO).hexdigest()
    download.close()
    cached = client.get(link, headers={"If-None-Match": download.headers["ETag"]})
    assert cached.status_code == 304  # the browser's copy is still good: no bytes sent
    assert cached.data == b""
    cached.close()
    blob = db.session.scalar(select(StoredFile))
    assert blob.location is Location(attachment_store)
    assert blob.sha256 == hashlib.sha256(PHOTO).hexdigest()


def test_an_agent_attaches_a_work_note_file_that_callers_cannot_download(
    attachment_store, signed_in, make_incident, make_user, app, db
):
    from tests.conftest import Client

    client, _agent = signed_in("agent", "employee")
    caller = make_user("caller.one")
    incident = make_incident(caller=caller)
    response = client.post(
        f"/incidents/{incident.number}/comment",
        {
            "body": "Driver log attached.",
            "public": "",
            "attachment": (io.BytesIO(b"driver: fault 0x1f\n"), "driver.log"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    [link] = _attachment_links(client.get(f"/incidents/{incident.number}").get_data(as_text=True))
    download = client.get(link)
    assert download.data == b"driver: fault 0x1f\n"
    download.close()
    caller_client = Client(app.test_client())
    caller_client.login("caller.one")
    assert caller_client.get(link).status_code == 404


def test_a_reply_with_a_file_that_fails_leaves_no_blob_and_no_file(
    attachment_store, signed_in, make_incident, db, tmp_path
):
    client, employee = signed_in("employee")
    incident = make_incident(caller=employee)
    refused = client.post(
        f"/incidents/{incident.number}/comment",
        {"body": "   ", "attachment": (io.BytesIO(b"data"), "notes.txt")},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 422
    empty = client.post(
        f"/incidents/{incident.number}/comment",
        {"body": "see file", "attachment": (io.BytesIO(b""), "empty.txt")},
        content_type="multipart/form-data",
    )
    assert empty.status_code == 422
    assert _blob_count(db) == 0
    folder = tmp_path / "attachments"
    assert not folder.exists() or not any(p.is_file() for p in folder.rglob("*"))


def test_store_bytes_keeps_the_portals_rules(attachment_store, app, make_incident, db, monkeypatch):
    """What the mail intake calls: the same name cleaning, type guessing and limits."""
    incident = make_incident()
    stored = attachments.store_bytes(
        incident,
        data=b"%PDF-1.7 ...",
        filename="C:\\Users\\ann\\invoice 12.pdf",
        content_type=None,
        uploader=None,
        internal=False,
    )
    db.session.commit()
    assert (stored.filename, stored.content_type, stored.size) == (
        "invoice 12.pdf",
        "application/pdf",
        12,
    )
    assert files.read(stored.storage_key) == b"%PDF-1.7 ..."
    with pytest.raises(Invalid):
        attachments.store_bytes(
            incident, data=b"", filename="x", content_type=None, uploader=None, internal=False
        )
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 10)
    with pytest.raises(attachments.AttachmentTooLarge):
        attachments.store_bytes(
            incident,
            data=b"12345678901",
            filename="x",
            content_type=None,
            uploader=None,
            internal=True,
        )
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Attachment)) == 1
    assert _blob_count(db) == 1


def test_a_missing_file_is_a_logged_404(attachment_store, signed_in, make_incident, db, caplog):
    client, agent = signed_in("agent", "employee")
    incident = make_incident()
    stored = attachments.store_bytes(
        incident,
        data=b"gone soon",
        filename="gone.txt",
        content_type="text/plain",
        uploader=agent,
        internal=False,
    )
    db.session.commit()
    if attachment_store == "directory":
        attachments.path_of(stored).unlink()
    else:  # a damaged database: the row lost its bytes
        db.session.get(StoredFile, stored.storage_key).data = None
        db.session.commit()
    with caplog.at_level(logging.ERROR):
        response = client.get(f"/incidents/{incident.number}/attachments/{stored.id}")
    assert response.status_code == 404
    assert "The file of this attachment is missing" in response.get_data(as_text=True)
    assert f"stored file missing: {stored.storage_key}" in caplog.text


def test_the_store_setting_defaults_to_the_database_and_refuses_a_typo(tmp_path):
    from app.config import ConfigError, load_config

    config = load_config(tmp_path, {})
    assert config["ATTACHMENT_STORE"] == "database"
    assert config["ATTACHMENTS_DIR"] == str(tmp_path / "attachments")
    chosen = load_config(
        tmp_path,
        {"DESKGRAPH_ATTACHMENT_STORE": "Directory", "DESKGRAPH_ATTACHMENTS_DIR": "/srv/files"},
    )
    assert (chosen["ATTACHMENT_STORE"], chosen["ATTACHMENTS_DIR"]) == ("directory", "/srv/files")
    with pytest.raises(ConfigError, match="DESKGRAPH_ATTACHMENT_STORE must be one of"):
        load_config(tmp_path, {"DESKGRAPH_ATTACHMENT_STORE": "s3"})
