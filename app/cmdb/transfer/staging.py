"""Uploaded import files kept between the dry run and the import (web only).

The import page checks an upload first and keeps it in the shared file store
(:mod:`app.files`, key ``cmdb-import-<user id>-<token>``), so "Import" needs no second upload,
and the import may be served by another node than the dry run. Only the person who uploaded a
file can use its token; a staged file expires after :data:`KEEP` and expired ones are purged
at the next upload. The import itself checks everything again: a staged file is never trusted.

Each function works in the caller's transaction: the view commits after :func:`stage`, and
:func:`discard` goes in the transaction of the import, so the file is gone exactly when the
import committed.
"""

from __future__ import annotations

import re
import secrets
from datetime import timedelta

from app import files
from app.timeutils import utc_now

KEEP = timedelta(hours=24)
TOKEN = re.compile(r"^[0-9a-f]{32}$")
PREFIX = "cmdb-import"


def _key(token: str, user_id: int, prefix: str = PREFIX) -> str | None:
    return f"{prefix}-{int(user_id)}-{token}" if TOKEN.match(token or "") else None


def stage(data: bytes, user_id: int, *, prefix: str = PREFIX) -> str:
    """Keep ``data`` for ``user_id`` (flushed; the caller commits); the token that finds it.
    Another page staging files gives its own ``prefix``, so a token works on its page only."""
    now = utc_now()
    files.purge_expired(now)
    token = secrets.token_hex(16)
    key = _key(token, user_id, prefix)
    assert key is not None
    files.put(data, key=key, expires_at=now + KEEP)
    return token


def load(token: str, user_id: int, *, prefix: str = PREFIX) -> bytes | None:
    """The staged file, or ``None`` (a malformed, unknown, expired or someone else's token)."""
    key = _key(token, user_id, prefix)
    found = files.get(key) if key else None
    if found is None or found.expires_at is None or found.expires_at <= utc_now():
        return None
    return files.read(found.key)


def discard(token: str, user_id: int, *, prefix: str = PREFIX) -> None:
    """Forget the staged file, in the caller's transaction."""
    key = _key(token, user_id, prefix)
    if key is not None:
        files.delete(key)
