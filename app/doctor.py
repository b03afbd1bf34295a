"""``flask deskgraph doctor``: check a deployment from the inside, one finding per part.

Each check answers ``ok``, ``warn`` (works, but not as production should) or ``fail`` (a part
the desk needs is missing or broken), with a sentence saying what was seen and what to do. The
command exits with status 1 when any check fails, so a deploy script or a monitoring probe can
run it. Checks never change anything: a test message is not sent, no row is written.
"""

from __future__ import annotations

import os
import smtplib
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db
from app.timeutils import utc_now

OK, WARN, FAIL = "ok", "warn", "fail"
CLOCK_SKEW_WARN = timedelta(seconds=2)
CLOCK_SKEW_FAIL = timedelta(seconds=30)
TICK_LATE = timedelta(minutes=5)  # the SLA tick runs every minute
OUTBOX_LAG_WARN = timedelta(minutes=10)


@dataclass(frozen=True)
class Finding:
    name: str
    status: str
    detail: str


def skew_finding(name: str, theirs: datetime, ours: datetime) -> Finding:
    """How far another clock is from this node's (pure)."""
    skew = abs(theirs - ours)
    seconds = skew.total_seconds()
    if skew >= CLOCK_SKEW_FAIL:
        status = FAIL
    elif skew >= CLOCK_SKEW_WARN:
        status = WARN
    else:
        status = OK
    advice = "" if status == OK else " Synchronise the clocks (NTP): SLA times depend on them."
    return Finding(name, status, f"{seconds:.1f} s from this node's clock.{advice}")


def _database(app: Flask) -> list[Finding]:
    url = db.engine.engine.url  # (in tests the bind is a Connection; .engine is its engine)
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        db.session.rollback()
        return [Finding("database", FAIL, f"{url.render_as_string()} does not answer: {error}")]
    found = [Finding("database", OK, f"{url.get_backend_name()} answers.")]
    if url.get_backend_name() == "sqlite":
        production = app.config.get("DESKGRAPH_ENV") == "production"
        found = [
            Finding(
                "database",
                WARN if production else OK,
                "SQLite answers. It holds one node; production with several nodes needs PostgreSQL."
                if production
                else "SQLite answers (one node).",
            )
        ]
    else:
        ours = utc_now()
        theirs = db.session.scalar(text("SELECT now()"))
        found.append(skew_finding("database clock", theirs, ours))
    return found


def _migrations(app: Flask) -> list[Finding]:
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    directory = app.extensions["migrate"].directory
    script = ScriptDirectory(directory if os.path.isabs(directory) else
                             str(Path(app.root_path).parent / directory))  # fmt: skip
    heads = set(script.get_heads())
    try:
        current = set(MigrationContext.configure(db.session.connection()).get_current_heads())
    except SQLAlchemyError as error:
        db.session.rollback()
        return [Finding("migrations", FAIL, f"Cannot read the schema's revision: {error}")]
    if current == heads:
        return [Finding("migrations", OK, f"At head ({', '.join(sorted(heads))}).")]
    return [
        Finding(
            "migrations",
            FAIL,
            f"The database is at {', '.join(sorted(current)) or 'no revision'}, the code at "
            f"{', '.join(sorted(heads))}: run `flask --app wsgi db upgrade`.",
        )
    ]


def _secret_key(app: Flask) -> list[Finding]:
    from app.config import secret_key_weakness

    weakness = secret_key_weakness(str(app.config.get("SECRET_KEY") or ""))
    if weakness:
        return [Finding("secret key", FAIL, f"SECRET_KEY {weakness}.")]
    return [Finding("secret key", OK, "Long and random enough.")]


def _redis(app: Flask) -> list[Finding]:
    url = app.config.get("REDIS_URL")
    if not url:
        return [
            Finding(
                "redis",
                WARN if app.config.get("DESKGRAPH_ENV") == "production" else OK,
                "Not configured: background work runs inline after each commit.",
            )
        ]
    import redis
    from rq import Queue, Worker

    connection = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    try:
        ours = utc_now()
        seconds, micros = connection.time()
        workers = Worker.all(connection=connection)
        queues = {q.name: q.count for q in Queue.all(connection=connection)}
    except redis.RedisError as error:
        return [Finding("redis", FAIL, f"{url} does not answer: {error}")]
    theirs = datetime.fromtimestamp(seconds + micros / 1e6, tz=ours.tzinfo)
    waiting = ", ".join(f"{name} {count}" for name, count in sorted(queues.items())) or "none"
    status = OK if workers else WARN
    advice = "" if workers else " No RQ worker is running: start `flask --app wsgi outbox worker`."
    return [
        Finding("redis", status, f"Answers; {len(workers)} worker(s); queued: {waiting}.{advice}"),
        skew_finding("redis clock", theirs, ours),
    ]


def _smtp(app: Flask) -> list[Finding]:
    from app.mail.outgoing.smtp import SmtpSettings, probe

    settings = SmtpSettings.from_config(app.config)
    if settings is None:
        return [Finding("smtp", WARN, "SMTP_HOST is not set: mail is recorded, not sent.")]
    try:
        probe(settings)
    except (OSError, smtplib.SMTPException) as error:
        return [Finding("smtp", FAIL, f"{settings.host}:{settings.port}: {error}")]
    login = " and accepts the login" if settings.username else ""
    return [Finding("smtp", OK, f"{settings.host}:{settings.port} answers{login}.")]


def _directory(app: Flask) -> list[Finding]:
    if not app.config.get("LDAP_URL"):
        return [Finding("directory", OK, "LDAP is not configured: local accounts only.")]
    from app.auth.directory.adapter import close
    from app.auth.directory.settings import DirectoryMisconfigured, DirectoryUnavailable
    from app.auth.directory.sync import directory_from_config

    try:
        directory = directory_from_config(app.config)
        started = time.monotonic()
        close(directory.service_connection())
    except DirectoryMisconfigured as error:
        return [Finding("directory", FAIL, f"Misconfigured: {error}")]
    except DirectoryUnavailable as error:
        return [Finding("directory", FAIL, str(error))]
    took = (time.monotonic() - started) * 1000
    return [Finding("directory", OK, f"The service account binds ({took:.0f} ms).")]


def _attachments(app: Flask) -> list[Finding]:
    if app.config.get("ATTACHMENT_STORE") != "directory":
        return [Finding("attachments", OK, "Stored in the database: every node reads them.")]
    folder = Path(app.config.get("ATTACHMENTS_DIR") or "")
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".doctor-", delete=True) as probe:
            probe.write(b"ok")
            probe.flush()
    except OSError as error:
        return [Finding("attachments", FAIL, f"{folder} is not writable: {error}")]
    return [
        Finding("attachments", OK, f"{folder} is writable (every node must mount the same folder).")
    ]


def _outbox(app: Flask) -> list[Finding]:
    from app.outbox.models import OutboxMessage, OutboxState

    pending, oldest = db.session.execute(
        select(func.count(), func.min(OutboxMessage.created_at)).where(
            OutboxMessage.state == OutboxState.PENDING
        )
    ).one()
    dead = db.session.scalar(select(func.count()).where(OutboxMessage.state == OutboxState.DEAD))
    lag = utc_now() - oldest if oldest is not None else timedelta(0)
    status = WARN if lag > OUTBOX_LAG_WARN or dead else OK
    minutes = lag.total_seconds() / 60
    advice = " Look at `flask --app wsgi outbox` and the mail outbox page."
    return [
        Finding(
            "outbox",
            status,
            f"{pending} pending (oldest {minutes:.0f} min), {dead} dead."
            + (advice if status != OK else ""),
        )
    ]


def _scheduler(app: Flask) -> list[Finding]:
    from app.ops.models import PeriodicJob
    from app.sla.jobs import TICK_JOB

    job = db.session.get(PeriodicJob, TICK_JOB)
    if job is None or job.last_succeeded_at is None:
        return [
            Finding(
                "sla scheduler",
                WARN,
                "The SLA clock has never ticked: run `flask --app wsgi sla scheduler`.",
            )
        ]
    age = utc_now() - job.last_succeeded_at
    late = age > TICK_LATE
    detail = f"Last tick {age.total_seconds() / 60:.0f} min ago on {job.node}."
    if job.last_error:
        detail += f" Last error: {job.last_error}"
    return [Finding("sla scheduler", WARN if late else OK, detail)]


CHECKS: tuple[Callable[[Flask], list[Finding]], ...] = (
    _database,
    _migrations,
    _secret_key,
    _redis,
    _smtp,
    _directory,
    _attachments,
    _outbox,
    _scheduler,
)


def run_checks(app: Flask) -> list[Finding]:
    """Every check; one that crashes is a failed finding, never a crashed doctor."""
    findings: list[Finding] = []
    for check in CHECKS:
        name = check.__name__.strip("_").replace("_", " ")
        try:
            findings.extend(check(app))
        except Exception as error:  # noqa: BLE001  (the doctor reports, it does not crash)
            db.session.rollback()
            findings.append(Finding(name, FAIL, f"The check itself failed: {error!r}"))
    return findings


def as_dict(finding: Finding) -> dict[str, Any]:
    return {"check": finding.name, "status": finding.status, "detail": finding.detail}
