"""Optimistic locking over HTTP: the ``ETag`` of an object is its ``version``, and a write
must send it back in ``If-Match``.

A stale ``If-Match`` is 412 (someone saved a change since it was read), and a write without
``If-Match`` is 428 (Precondition Required, RFC 6585): a client that never read the object
cannot overwrite a change it never saw. ``If-Match: *`` means "whatever the version" for
scripts that knowingly overwrite.
"""

from __future__ import annotations

from typing import Any

from flask import Response, request
from flask_babel import gettext as _

from app.errors import DomainError


class PreconditionFailed(DomainError):
    status = 412
    title = "Precondition failed"


class PreconditionRequired(DomainError):
    status = 428
    title = "Precondition required"


def etag_of(obj: Any, kind: str = "") -> str:
    """The strong ETag of ``obj`` (its kind and version, quoted)."""
    return f'"{kind or type(obj).__name__.lower()}-{obj.id}-v{obj.version}"'


def with_etag(response: Response, obj: Any, kind: str = "") -> Response:
    response.headers["ETag"] = etag_of(obj, kind)
    return response


def check_if_match(obj: Any, kind: str = "") -> int | None:
    """Refuse a write on a stale version; return the version to pass to the service as
    ``expected_version`` (None for ``If-Match: *``).

    :raise PreconditionRequired: no ``If-Match``.
    :raise PreconditionFailed: ``If-Match`` names another version.
    """
    header = request.headers.get("If-Match")
    if header is None or not header.strip():
        raise PreconditionRequired(
            _("Send If-Match with the ETag you read, so a change made meanwhile is not lost.")
        )
    if header.strip() == "*":
        return None
    wanted = etag_of(obj, kind)
    tags = [t.strip().removeprefix("W/") for t in header.split(",")]
    if wanted not in tags:
        raise PreconditionFailed(
            _(
                "This was changed after you read it (its ETag is now %(etag)s). Read it again "
                "and send your change with the new ETag.",
                etag=wanted,
            )
        )
    return int(obj.version)
