"""``/healthz``: is the database reachable (and Redis, when configured), and which version."""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db
from app.policy import public
from app.version import __version__

bp = Blueprint("ops", __name__)
log = logging.getLogger(__name__)


def _redis_status(url: str | None) -> str:
    if not url:
        return "not configured"
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping()
    except redis.RedisError as error:
        log.warning("health check: redis unreachable: %s", error)
        return "unreachable"
    return "ok"


@bp.get("/healthz")
@public
def healthz() -> ResponseReturnValue:
    checks = {"database": "ok"}
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        log.warning("health check: database unreachable: %s", error.__class__.__name__)
        checks["database"] = "unreachable"
        db.session.rollback()
    checks["redis"] = _redis_status(current_app.config.get("REDIS_URL"))
    healthy = checks["database"] == "ok" and checks["redis"] in ("ok", "not configured")
    body = {"status": "ok" if healthy else "unavailable", "version": __version__, **checks}
    return jsonify(body), 200 if healthy else 503
