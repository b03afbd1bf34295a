"""Health endpoints for load balancers and orchestrators.

- ``/healthz/live`` (liveness): the process answers; touches nothing else, so a database
  outage never gets a healthy process restarted.
- ``/healthz/ready`` and ``/healthz`` (readiness): the database answers. Optional parts
  (Redis, when configured) are reported, and their absence makes the desk ``degraded`` (it
  still serves: background work falls back or waits) but never unready.
"""

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


def _database_status() -> str:
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        log.warning("health check: database unreachable: %s", error.__class__.__name__)
        db.session.rollback()
        return "unreachable"
    return "ok"


@bp.get("/healthz/live")
@public
def live() -> ResponseReturnValue:
    return jsonify({"status": "ok", "version": __version__})


@bp.get("/healthz")
@bp.get("/healthz/ready")
@public
def healthz() -> ResponseReturnValue:
    checks = {
        "database": _database_status(),
        "redis": _redis_status(current_app.config.get("REDIS_URL")),
    }
    if checks["database"] != "ok":
        status = "unavailable"
    elif checks["redis"] == "unreachable":
        status = "degraded"
    else:
        status = "ok"
    body = {"status": status, "version": __version__, **checks}
    return jsonify(body), 503 if status == "unavailable" else 200
