"""Attachment storage: bytes in files under the instance folder, metadata in ``attachments``.

Files are named by a random key (never by the uploaded name), written with mode 0600 and
served only through a view that checks who may see the ticket.

A file is written under a temporary name (``<key>.part``) while its row is saved, moved to its
key when the transaction commits and deleted when it does not (hooks of
:mod:`app.outbox.transaction`), so a rolled-back upload leaves no orphan file behind.
"""

from __future__ import annotations

import hashlib
import mimetypes
import os
import uuid
from pathlib import Path
from typing import Any

from flask import Response, current_app, send_file
from werkzeug.datastructures import FileStorage

from app.errors import DomainError, Invalid, NotFound
from app.extensions import db
from app.outbox.transaction import after_commit, after_rollback
from app.tickets.models import Attachment, Ticket

MAX_NAME = 255


class AttachmentTooLarge(DomainError):
    status = 413
    title = "Too large"


def storage_root() -> Path:
    return Path(
        current_app.config.get("ATTACHMENTS_DIR") or Path(current_app.instance_path) / "attachments"
    )


def path_of(attachment: Attachment) -> Path:
    return storage_root() / attachment.storage_key[:2] / attachment.storage_key


def download(attachment: Attachment) -> Response:
    """The file as a download, for a view that has checked who may see it.

    :raise NotFound: the file is missing from storage (logged: someone must look).
    """
    path = path_of(attachment)
    if not path.exists():
        current_app.logger.error("attachment file missing: %s", attachment.storage_key)
        raise NotFound("The file of this attachment is missing; the service desk was told.")
    return send_file(
        path,
        mimetype=attachment.content_type,
        as_attachment=True,
        download_name=attachment.filename,
    )


def _clean_name(name: str | None) -> str:
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if c.isprintable()).strip(" .")
    return name[:MAX_NAME] or "attachment"


def store(
    ticket: Ticket,
    upload: FileStorage,
    *,
    uploader: Any,
    internal: bool,
    journal_entry_id: int | None = None,
) -> Attachment:
    """Save an uploaded file for ``ticket``.

    :raise Invalid: the file is empty.
    :raise AttachmentTooLarge: it is larger than the upload limit.
    """
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    data = upload.stream.read(limit + 1)
    if not data:
        raise Invalid({"attachment": "The file is empty."})
    if len(data) > limit:
        raise AttachmentTooLarge(f"The file is larger than {limit // (1024 * 1024)} MB.")
    name = _clean_name(upload.filename)
    content_type = (upload.mimetype or mimetypes.guess_type(name)[0] or "application/octet-stream")[
        :127
    ]
    key = uuid.uuid4().hex
    path = storage_root() / key[:2] / key
    _write_after_commit(path, data)
    attachment = Attachment(
        ticket_id=ticket.id,
        journal_entry_id=journal_entry_id,
        filename=name,
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        storage_key=key,
        uploaded_by_id=getattr(uploader, "id", None),
        internal=internal,
    )
    db.session.add(attachment)
    db.session.flush()
    return attachment


def _write_after_commit(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path`` now, move it to ``path`` when the
    transaction commits, and delete it if it does not."""
    partial = path.with_name(path.name + ".part")
    partial.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    after_commit(lambda: os.replace(partial, path))
    after_rollback(lambda: partial.unlink(missing_ok=True))
