"""Rate limits per token (Flask-Limiter): one budget per token over every API operation, in
Redis when ``REDIS_URL`` is set (every worker shares it), in memory otherwise. A call without a
well-formed token counts against its address."""

from __future__ import annotations

from flask import Flask, current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from app.api.auth import bearer
from app.api.tokens.services import split


def rate_key() -> str:
    parts = split(bearer() or "")
    return f"token:{parts[0]}" if parts else f"address:{get_remote_address()}"


def _limit() -> str:
    return str(current_app.config["API_RATE_LIMIT"])


def _not_api() -> bool:
    return not request.path.startswith("/api/v1/")


def init_app(app: Flask) -> Limiter:
    limiter = Limiter(
        rate_key,
        application_limits=[_limit],
        headers_enabled=True,
        storage_uri=app.config["API_RATE_LIMIT_STORAGE"],
        key_prefix="deskgraph-api",
        swallow_errors=True,  # the storage down: serve without limits rather than fail
    )
    # This limiter is the API's alone: every other request skips it at once, before it resolves
    # the request's limits (an exemption of the application limits is asked after: some 240
    # function calls of every page).
    limiter.request_filter(_not_api)
    limiter.init_app(app)
    app.extensions["deskgraph_api_limiter"] = limiter
    return limiter
