"""Uploaded import files kept between the dry run and the import (web only).

The import page checks an upload first and keeps it under the instance folder
(``cmdb-imports/<user id>-<token>``), so "Import" needs no second upload. Only the person who
uploaded a file can use its token; files older than :data:`KEEP` are removed at the next
upload. The import itself checks everything again: a staged file is never trusted.
"""

from __future__ import annotations

import os
import re
import secrets
import time
from pathlib import Path

from flask import current_app

KEEP = 24 * 3600
TOKEN = re.compile(r"^[0-9a-f]{32}$")


def _root() -> Path:
    return Path(current_app.instance_path) / "cmdb-imports"


def _path(token: str, user_id: int) -> Path | None:
    return _root() / f"{int(user_id)}-{token}" if TOKEN.match(token or "") else None


def stage(data: bytes, user_id: int) -> str:
    """Keep ``data`` for ``user_id``; the token that finds it again."""
    root = _root()
    root.mkdir(parents=True, exist_ok=True)
    _remove_old(root)
    token = secrets.token_hex(16)
    path = _path(token, user_id)
    assert path is not None
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    return token


def load(token: str, user_id: int) -> bytes | None:
    """The staged file, or ``None`` (a malformed, unknown, expired or someone else's token)."""
    path = _path(token, user_id)
    if path is None or not path.is_file() or time.time() - path.stat().st_mtime > KEEP:
        return None
    return path.read_bytes()


def discard(token: str, user_id: int) -> None:
    path = _path(token, user_id)
    if path is not None:
        path.unlink(missing_ok=True)


def _remove_old(root: Path) -> None:
    limit = time.time() - KEEP
    for path in root.iterdir():
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
        except FileNotFoundError:  # removed by another worker meanwhile
            continue
