"""Stored files follow their transaction on both backends. In the directory: written under a
temporary name, moved into place on commit, deleted on rollback (no orphan file). In the
database: the bytes are in the blob row, which commits or rolls back with the attachment."""

# The incident fixtures are imported by name, so arguments of that name redefine them.
# ruff: noqa: F811

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from app import files
from app.files.models import StoredFile
from app.tickets import attachments
from app.tickets.models import Attachment
from app.timeutils import utc_now
from tests.incidents.conftest import make_incident  # noqa: F401  (fixture)


def _upload(data: bytes = b"hello") -> FileStorage:
    return FileStorage(io.BytesIO(data), filename="note.txt", content_type="text/plain")


def _rows(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_rolled_back_attachment_leaves_nothing(attachment_store, app, db, make_incident):
    incident = make_incident()
    stored = attachments.store(incident, _upload(), uploader=None, internal=False)
    path = attachments.path_of(stored)
    assert not path.exists()  # at most a temporary file until the commit
    db.session.rollback()
    assert not path.exists()
    assert not path.parent.exists() or list(path.parent.iterdir()) == []
    assert _rows(db, Attachment) == 0
    assert _rows(db, StoredFile) == 0


@pytest.mark.parametrize("attachment_store", ["directory"], indirect=True)
def test_a_committed_file_is_moved_into_place(attachment_store, app, db, make_incident):
    incident = make_incident()
    stored = attachments.store(incident, _upload(b"kept"), uploader=None, internal=False)
    db.session.commit()
    path = attachments.path_of(stored)
    assert path.read_bytes() == b"kept"
    assert [p.name for p in path.parent.iterdir()] == [path.name]
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert db.session.get(StoredFile, stored.storage_key).data is None


@pytest.mark.parametrize("attachment_store", ["database"], indirect=True)
def test_a_committed_blob_is_in_the_database_and_no_file_is_written(
    attachment_store, app, db, make_incident, tmp_path
):
    incident = make_incident()
    stored = attachments.store(incident, _upload(b"kept"), uploader=None, internal=False)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(StoredFile, stored.storage_key).data == b"kept"
    assert files.read(stored.storage_key) == b"kept"
    assert not (tmp_path / "attachments").exists()


def test_a_deleted_blob_keeps_its_file_until_the_commit(attachment_store, app, db):
    blob = files.put(b"staged", expires_at=utc_now() + timedelta(hours=1))
    db.session.commit()
    files.delete(blob.key)
    assert files.read(blob.key) is None  # gone for this transaction
    db.session.rollback()
    assert files.read(blob.key) == b"staged"  # the rollback brought it back, file included
    files.delete(blob.key)
    db.session.commit()
    assert files.read(blob.key) is None
    assert not files.blobs.path_for(blob.key).exists()


def test_the_same_content_attached_twice_is_stored_once(attachment_store, app, db, make_incident):
    """A signature logo in every mail of a thread: one blob, shared by the attachments."""
    first, second = make_incident(), make_incident()
    logo = attachments.store(first, _upload(b"logo bytes"), uploader=None, internal=False)
    db.session.commit()
    again = attachments.store(second, _upload(b"logo bytes"), uploader=None, internal=True)
    other = attachments.store(second, _upload(b"another file"), uploader=None, internal=False)
    staged = files.put(b"logo bytes", expires_at=utc_now() + timedelta(hours=1))
    db.session.commit()
    assert again.storage_key == logo.storage_key
    assert len({logo.storage_key, other.storage_key, staged.key}) == 3  # temporary: never shared
    assert _rows(db, StoredFile) == 3
    assert files.read(again.storage_key) == b"logo bytes"
    with pytest.raises(ValueError, match="permanent"):
        files.delete(logo.storage_key)
