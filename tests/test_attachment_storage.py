"""Attachment files follow their transaction: written under a temporary name, moved into place
on commit, deleted on rollback (no orphan file)."""

# The incident fixtures are imported by name, so arguments of that name redefine them.
# ruff: noqa: F811

from __future__ import annotations

import io

from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from tests.incidents.conftest import make_incident  # noqa: F401  (fixture)


def _upload(data: bytes = b"hello") -> FileStorage:
    return FileStorage(io.BytesIO(data), filename="note.txt", content_type="text/plain")


def test_a_rolled_back_attachment_leaves_no_file(app, db, make_incident):
    from app.tickets import attachments
    from app.tickets.models import Attachment

    incident = make_incident()
    stored = attachments.store(incident, _upload(), uploader=None, internal=False)
    path = attachments.path_of(stored)
    assert not path.exists()  # only a temporary file until the commit
    db.session.rollback()
    assert not path.exists()
    assert list(path.parent.iterdir()) == []
    assert db.session.scalar(select(func.count()).select_from(Attachment)) == 0


def test_a_committed_attachment_is_moved_into_place(app, db, make_incident):
    from app.tickets import attachments

    incident = make_incident()
    stored = attachments.store(incident, _upload(b"kept"), uploader=None, internal=False)
    db.session.commit()
    path = attachments.path_of(stored)
    assert path.read_bytes() == b"kept"
    assert [p.name for p in path.parent.iterdir()] == [path.name]
