"""Errors as ``application/problem+json`` (RFC 9457) for everything under ``/api/``.

The app's error handlers (``app.errors``) already turn every refusal into a status and a
message (the services' ``NotFound``, ``Forbidden``, ``Conflict``, ``Invalid`` with its field
errors, stale versions, constraint failures, oversized bodies, unknown routes, 503 while the
database is away). Under ``/api/`` their JSON envelope is rewritten here into a problem
document, so there is one vocabulary and one place that words it:

    {"type": "https://deskgraph.dev/problems/invalid", "title": "Please check your input",
     "status": 422, "detail": "...", "instance": "/api/v1/incidents",
     "errors": [{"field": "impact", "message": "..."}], "request_id": "..."}
"""

from __future__ import annotations

import json
from typing import Any

from flask import Flask, Response, request
from flask_babel import lazy_gettext as _l

from app.errors import DomainError

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://deskgraph.dev/problems/"
#: status → the last part of the problem's ``type``.
TYPES = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    406: "not-acceptable",
    409: "conflict",
    410: "gone",
    412: "precondition-failed",
    413: "too-large",
    415: "unsupported-media-type",
    422: "invalid",
    428: "precondition-required",
    429: "too-many-requests",
    500: "server-error",
    503: "unavailable",
}

#: Titles for the statuses ``app.errors`` has no words for (it words the others).
TITLES = {
    401: _l("Not signed in"),
    412: _l("Precondition failed"),
    415: _l("Unsupported media type"),
    428: _l("Precondition required"),
}


def problem_type(status: int) -> str:
    return TYPE_BASE + TYPES.get(status, "server-error" if status >= 500 else "bad-request")


def problem(
    status: int,
    title: str,
    detail: str,
    fields: dict[str, list[str]] | None = None,
    request_id: str | None = None,
) -> dict[str, Any]:
    """The problem document (without the response around it)."""
    body: dict[str, Any] = {
        "type": problem_type(status),
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.path,
    }
    if fields:
        body["errors"] = [
            {"field": field, "message": message}
            for field, messages in fields.items()
            for message in messages
        ]
    if request_id:
        body["request_id"] = request_id
    return body


def _rewrite(response: Response) -> Response:
    if (
        response.status_code < 400
        or response.mimetype != "application/json"
        or not request.path.startswith("/api/")
    ):
        return response
    try:
        envelope = json.loads(response.get_data())
    except ValueError:
        return response
    error = envelope.get("error") if isinstance(envelope, dict) else None
    if not isinstance(error, dict):
        return response
    body = problem(
        response.status_code,
        str(TITLES.get(response.status_code) or error.get("title", "")),
        str(error.get("message", "")),
        error.get("fields"),
        error.get("request_id"),
    )
    response.set_data(json.dumps(body))
    response.mimetype = PROBLEM_JSON
    if response.status_code == 401:
        response.headers.setdefault("WWW-Authenticate", 'Bearer realm="deskgraph"')
    return response


def init_app(app: Flask) -> None:
    app.after_request(_rewrite)


class UnsupportedMediaType(DomainError):
    status = 415
    title = "Unsupported media type"
