"""Ticket attachments: metadata in ``attachments``, bytes in the shared file store
(:mod:`app.files`, in the database or a shared directory as ``ATTACHMENT_STORE`` says).

A stored file is named by a random key (never by the uploaded name) and served only through a
view that checks who may see the ticket. It follows the caller's transaction: a rolled-back
upload leaves no row, no blob and no file behind.
"""

from __future__ import annotations

import logging
import mimetypes
from pathlib import Path
from typing import Any

from flask import Response, current_app
from flask_babel import gettext as _
from werkzeug.datastructures import FileStorage

from app import files
from app.errors import DomainError, Invalid
from app.extensions import db
from app.files import blobs
from app.tickets.models import Attachment, Ticket

MAX_NAME = 255
log = logging.getLogger(__name__)


class AttachmentTooLarge(DomainError):
    status = 413
    title = "Too large"


def storage_root() -> Path:
    """The folder of the directory backend (``ATTACHMENTS_DIR``)."""
    return blobs.directory_root()


def path_of(attachment: Attachment) -> Path:
    """Where the directory backend keeps (or would keep) this attachment's file."""
    return blobs.path_for(attachment.storage_key)


def download(attachment: Attachment) -> Response:
    """The file as a download, for a view that has checked who may see it.

    :raise NotFound: the file is missing from the store (logged: someone must look).
    """
    return files.send(
        attachment.storage_key, filename=attachment.filename, content_type=attachment.content_type
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
    """Save an uploaded file for ``ticket`` (see :func:`store_bytes`).

    :raise Invalid: the file is empty.
    :raise AttachmentTooLarge: it is larger than the upload limit.
    """
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    return store_bytes(
        ticket,
        data=upload.stream.read(limit + 1),
        filename=upload.filename,
        content_type=upload.mimetype,
        uploader=uploader,
        internal=internal,
        journal_entry_id=journal_entry_id,
    )


def store_bytes(
    ticket: Ticket,
    *,
    data: bytes,
    filename: str | None,
    content_type: str | None,
    uploader: Any,
    internal: bool,
    journal_entry_id: int | None = None,
) -> Attachment:
    """Attach ``data`` to ``ticket`` in the caller's transaction (flushed, not committed).

    The name is reduced to its last path part and printable characters; a missing content
    type is guessed from it. ``internal`` files are shown to agents only.

    :raise Invalid: ``data`` is empty, or the store cannot be written (logged).
    :raise AttachmentTooLarge: it is larger than the upload limit (``MAX_CONTENT_LENGTH``).
    """
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    if not data:
        raise Invalid({"attachment": _("The file is empty.")})
    if len(data) > limit:
        raise AttachmentTooLarge(
            _("The file is larger than %(size)s MB.", size=limit // (1024 * 1024))
        )
    name = _clean_name(filename)
    content_type = (content_type or mimetypes.guess_type(name)[0] or "application/octet-stream")[
        :127
    ]
    try:
        blob = files.put(data)
    except OSError as error:  # the store's folder missing, read-only or full
        log.error("attachment store: could not write %s: %s", name, error)
        raise Invalid(
            {
                "attachment": _(
                    "The file could not be stored just now. Try again later, or send "
                    "the form without it."
                )
            }
        ) from error
    attachment = Attachment(
        ticket_id=ticket.id,
        journal_entry_id=journal_entry_id,
        filename=name,
        content_type=content_type,
        size=blob.size,
        sha256=blob.sha256,
        storage_key=blob.key,
        uploaded_by_id=getattr(uploader, "id", None),
        internal=internal,
    )
    db.session.add(attachment)
    db.session.flush()
    return attachment
