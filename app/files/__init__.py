"""The shared file store: the bytes of ticket attachments and staged CMDB imports, kept where
every node of the desk can read them.

``ATTACHMENT_STORE`` chooses where new files go: ``database`` (the default: a row per blob in
``stored_files``, PostgreSQL ``bytea`` or an SQLite BLOB, so several nodes share files with no
shared mount and a database backup holds them) or ``directory`` (files under
``ATTACHMENTS_DIR``, which several nodes must mount). Each row records where its bytes are, so
reads work in both places at once, and ``flask attachments migrate --to database|directory``
moves them (:mod:`app.files.moving`). Writes follow the caller's transaction
(:mod:`app.files.blobs`).

This package imports only the shared modules and the outbox's transaction hooks, so every
domain (tickets, the CMDB) may use it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.files.blobs import delete, get, purge_expired, put, read, send

if TYPE_CHECKING:
    from flask import Flask

__all__ = ["delete", "get", "purge_expired", "put", "read", "register", "send"]


def register(app: Flask) -> None:
    """Register ``flask attachments``."""
    from app.files.cli import attachments_cli

    app.cli.add_command(attachments_cli)
