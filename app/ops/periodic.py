"""Periodic jobs run once at a time across nodes, and leave a trace of their last run.

Every periodic job (the SLA tick, mail polling, digests, the weekly report mail, purges) may be
started on several nodes for availability (a cron line or a scheduler service on each): on
PostgreSQL, :func:`run_once` takes a session-level advisory lock named after the job on its own
connection, so while one node runs it the others skip it (and say so) instead of running it
twice at the same time. The lock lives as long as that connection: a node killed mid-job
releases it when PostgreSQL notices the connection is gone, and a database restart releases
every lock (the next run simply takes it again). SQLite is one node's database: no lock.

Each run (and each skip) is recorded in ``periodic_jobs`` in a small transaction of its own, so
``flask deskgraph doctor`` and ``/metrics`` can say how long ago the SLA clock last ticked.
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.db import is_postgresql
from app.extensions import db
from app.ops.models import PeriodicJob
from app.timeutils import utc_now

log = logging.getLogger(__name__)
T = TypeVar("T")


def lock_key(name: str, schema: str = "public") -> int:
    """A stable signed 64-bit advisory lock key for a job name in the desk whose tables are in
    ``schema``. Advisory locks are the database's, not a schema's: two desks in one database
    (each in its own schema) must not skip each other's jobs. A desk in ``public``, the usual
    one, keeps the key it always had, so nodes of two versions still exclude each other
    during an upgrade."""
    scoped = name if schema == "public" else f"{schema}:{name}"
    digest = hashlib.sha256(f"deskgraph:{scoped}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def node_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@contextmanager
def exclusive(name: str) -> Iterator[bool]:
    """Whether this process holds the job's lock for the block (always on SQLite)."""
    if not is_postgresql(db.session):
        yield True
        return
    engine = db.engine.engine  # an Engine's .engine is itself; a Connection's is its engine
    with engine.connect() as connection:
        key = lock_key(name, str(connection.scalar(text("SELECT current_schema()"))))
        held = bool(connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}))
        connection.commit()
        try:
            yield held
        finally:
            if held:
                try:
                    connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                    connection.commit()
                except SQLAlchemyError:  # the connection is gone, and the lock with it
                    log.info("periodic job %s: lock released with its connection", name)


def run_once(name: str, job: Callable[[], T]) -> tuple[bool, T | None]:
    """Run ``job`` unless another node is running ``name``; ``(False, None)`` when skipped.

    ``job`` commits its own work. An exception is recorded on the job's row and re-raised.
    """
    with exclusive(name) as mine:
        if not mine:
            log.info("periodic job %s is running on another node; skipped", name)
            _record(name, skipped=True)
            return False, None
        started = utc_now()
        try:
            result = job()
        except Exception as error:
            db.session.rollback()
            _record(name, started=started, error=f"{error.__class__.__name__}: {error}")
            raise
        _record(name, started=started)
        return True, result


def _record(
    name: str, *, started: object = None, error: str | None = None, skipped: bool = False
) -> None:
    """Note a run, a failure or a skip on the job's row, in a transaction of its own (a
    failure to note it is logged, never raised: the job's own work is already committed)."""
    try:
        row = db.session.get(PeriodicJob, name)
        if row is None:
            row = PeriodicJob(name=name, runs=0, failures=0, skipped=0)
            db.session.add(row)
        if skipped:
            row.skipped += 1
        else:
            now = utc_now()
            row.last_started_at = started  # type: ignore[assignment]
            row.last_finished_at = now
            row.runs += 1
            row.node = node_name()[:200]
            if error is None:
                row.last_succeeded_at = now
                row.last_error = None
            else:
                row.failures += 1
                row.last_error = error[:5000]
        db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()
        log.warning("periodic job %s: could not record its run", name, exc_info=True)
