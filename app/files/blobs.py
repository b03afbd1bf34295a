"""Put, read, send and delete blobs in the store chosen by ``ATTACHMENT_STORE``.

New blobs go where the setting says: into their row (``database``) or into a file under
``ATTACHMENTS_DIR`` (``directory``). Reads follow each row's ``location``, not the setting, so
a desk keeps serving every file while ``flask attachments migrate`` moves them, and after the
setting changed.

Both backends follow the transaction of the caller's session. In the database the bytes are in
the row, so a rollback leaves nothing. In the directory a file is written under a temporary
name (``<key>.part``) before the row is flushed, renamed to its key when the transaction
commits and removed when it does not (hooks of :mod:`app.outbox.transaction`); a deleted blob's
file is removed only after the commit that deleted its row.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import uuid
from datetime import datetime
from pathlib import Path

from flask import Response, current_app, send_file
from flask_babel import gettext as _
from sqlalchemy import delete as sql_delete
from sqlalchemy import select

from app.errors import NotFound
from app.extensions import db
from app.files.models import Location, StoredFile
from app.outbox.transaction import after_commit, after_rollback

KEY = re.compile(r"^[0-9A-Za-z][0-9A-Za-z_-]{1,79}$")
"""A key names a file: letters, digits, ``-`` and ``_`` only (no path can be smuggled in)."""


def configured_location() -> Location:
    """Where new blobs go (``ATTACHMENT_STORE``)."""
    return Location(current_app.config.get("ATTACHMENT_STORE") or Location.DATABASE)


def directory_root() -> Path:
    """The directory backend's folder (``ATTACHMENTS_DIR``), shared by every node that uses it."""
    configured = current_app.config.get("ATTACHMENTS_DIR")
    return Path(configured or Path(current_app.instance_path) / "attachments")


def path_for(key: str) -> Path:
    """Where the directory backend keeps the blob ``key`` (whether or not it is there).

    :raise ValueError: ``key`` is not a valid key.
    """
    if not KEY.match(key):
        raise ValueError(f"not a blob key: {key!r}")
    return directory_root() / key[:2] / key


def put(data: bytes, *, key: str | None = None, expires_at: datetime | None = None) -> StoredFile:
    """Store ``data`` in the caller's transaction (flushed, not committed) and return its row.

    A permanent blob (no ``key`` asked for, no ``expires_at``) whose content is already stored
    permanently is not stored again: the existing row is returned and its key shared (the
    same logo in every mail of a thread is kept once). Permanent blobs are never deleted, so
    sharing them is safe.

    :param key: the blob's key (a random one when ``None``); it must be new.
    :param expires_at: when a temporary blob may be purged (see :func:`purge_expired`).
    """
    digest = hashlib.sha256(data).hexdigest()
    if key is None and expires_at is None and (same := _stored_content(digest, len(data))):
        return same
    key = key or uuid.uuid4().hex
    location = configured_location()
    row = StoredFile(
        key=key,
        location=location,
        size=len(data),
        sha256=digest,
        data=data if location is Location.DATABASE else None,
        expires_at=expires_at,
    )
    if location is Location.DIRECTORY:
        _write_after_commit(path_for(key), data)
    db.session.add(row)
    db.session.flush()
    return row


def _stored_content(digest: str, size: int) -> StoredFile | None:
    """A permanent blob with this content whose bytes are where its row says, or ``None``."""
    for row in db.session.scalars(
        select(StoredFile)
        .where(StoredFile.sha256 == digest, StoredFile.size == size)
        .where(StoredFile.expires_at.is_(None))
        .limit(3)
    ):
        if row.location is Location.DATABASE or path_for(row.key).is_file():
            return row
    return None


def get(key: str) -> StoredFile | None:
    """The row of blob ``key`` (its bytes not loaded), or ``None``."""
    return db.session.get(StoredFile, key)


def read(key: str) -> bytes | None:
    """The bytes of blob ``key``, or ``None`` when there is no such blob or its file is gone."""
    found = db.session.execute(
        select(StoredFile.location, StoredFile.data).where(StoredFile.key == key)
    ).one_or_none()
    if found is None:
        return None
    location, data = found
    if location is Location.DATABASE:
        return data
    try:
        return path_for(key).read_bytes()
    except FileNotFoundError:
        return None


def send(key: str, *, filename: str, content_type: str) -> Response:
    """The blob as a download named ``filename``, for a view that has checked who may see it.

    A file is streamed from disk; a blob in the database is sent from memory. The ETag is the
    content's sha256 on both, so conditional requests work the same way.

    :raise NotFound: the blob or its file is missing (logged: someone must look).
    """
    found = db.session.execute(
        select(
            StoredFile.location, StoredFile.data, StoredFile.sha256, StoredFile.created_at
        ).where(StoredFile.key == key)
    ).one_or_none()
    source: Path | io.BytesIO | None = None
    if found is not None and found.location is Location.DIRECTORY:
        path = path_for(key)
        source = path if path.is_file() else None
    elif found is not None and found.data is not None:
        source = io.BytesIO(found.data)
    if found is None or source is None:
        current_app.logger.error("stored file missing: %s", key)
        raise NotFound(_("The file of this attachment is missing; the service desk was told."))
    return send_file(
        source,
        mimetype=content_type,
        as_attachment=True,
        download_name=filename,
        etag=found.sha256,
        last_modified=found.created_at,
    )


def delete(key: str) -> None:
    """Delete the temporary blob ``key`` in the caller's transaction; its file goes once that
    commits.

    :raise ValueError: the blob is permanent (it may be shared, see :func:`put`).
    """
    row = get(key)
    if row is None:
        return
    if row.expires_at is None:
        raise ValueError(f"blob {key} is permanent and may be shared: it is never deleted")
    if row.location is Location.DIRECTORY:
        _unlink_after_commit(path_for(key))
    db.session.delete(row)
    db.session.flush()


def purge_expired(now: datetime) -> int:
    """Delete the temporary blobs that expired before ``now``; how many went."""
    expired = db.session.execute(
        select(StoredFile.key, StoredFile.location).where(StoredFile.expires_at < now)
    ).all()
    for key, location in expired:
        if location is Location.DIRECTORY:
            _unlink_after_commit(path_for(key))
    if expired:
        db.session.execute(
            sql_delete(StoredFile).where(StoredFile.key.in_([key for key, _ in expired])),
            execution_options={"synchronize_session": False},
        )
    return len(expired)


def write_file(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` now and durably: a private temporary file beside it, synced,
    then renamed over ``path`` (a reader never sees half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.{uuid.uuid4().hex[:8]}.part")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def _write_after_commit(path: Path, data: bytes) -> None:
    """Write ``data`` beside ``path`` now, move it to ``path`` when the transaction commits,
    and delete it if the transaction does not commit."""
    partial = path.with_name(path.name + ".part")
    partial.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    after_commit(lambda: os.replace(partial, path))
    after_rollback(lambda: partial.unlink(missing_ok=True))


def _unlink_after_commit(path: Path) -> None:
    after_commit(lambda: path.unlink(missing_ok=True))
