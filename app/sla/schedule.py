"""Running the SLA tick every minute: through Redis and RQ when ``REDIS_URL`` is set, inline
in the scheduler's own process otherwise. ``flask sla scheduler`` picks the mode.

With Redis, RQ's own ``CronScheduler`` (in rq since 2.4, still marked beta in rq 3.0; no extra
package) enqueues :func:`app.sla.jobs.tick_job` on the ``sla`` queue every ``interval`` seconds,
and RQ workers run it (``flask sla worker``, or ``rq worker sla`` with the application's
environment). rq 3's other tools do not fit a periodic job: ``Queue.enqueue_in`` runs once, and
``Repeat`` repeats a fixed number of times. Running two schedulers or several workers is safe:
a tick that finds nothing due changes nothing, and each warning or breach is claimed by one tick
(:func:`app.sla.jobs.run_tick`).

Redis may go away (a restart, a failover): :func:`run_cron` then keeps the scheduler alive,
retrying with exponential backoff (logged) instead of dying. RQ's cron job stays due while it
could not be enqueued, so when Redis answers again the tick is enqueued once to catch up (the
tick covers everything due up to its run), not once per missed interval.

Without Redis, the scheduler ticks inline, one tick after another; or run ``flask sla tick``
from cron every minute instead.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from app.extensions import db
from app.sla.jobs import TickReport, run_tick, tick_job, tick_once

log = logging.getLogger(__name__)

QUEUE = "sla"
INTERVAL = 60  # seconds between ticks
JOB_TIMEOUT = 300  # a tick over a large backlog may take minutes; RQ kills it after this
CRON_NAME = "deskgraph-sla-tick"
FIRST_RETRY = 1.0  # seconds before the first retry while Redis is away, then doubled...
LONGEST_RETRY = 60.0  # ...up to this


def cron_scheduler(
    connection: Any, *, queue: str = QUEUE, interval: int = INTERVAL, name: str = CRON_NAME
) -> Any:
    """An RQ ``CronScheduler`` that enqueues the tick on ``queue`` every ``interval`` seconds
    (the first one at once). ``start()`` runs it until SIGINT/SIGTERM; ``enqueue_jobs()``
    enqueues what is due once."""
    from rq.cron import CronScheduler

    scheduler = CronScheduler(connection=connection, name=f"{name}:{queue}")
    scheduler.register(
        tick_job, queue, interval=interval, job_timeout=JOB_TIMEOUT, name=f"{name}:{queue}"
    )
    return scheduler


def run_cron(
    scheduler: Any,
    *,
    stop: threading.Event | None = None,
    first_retry: float = FIRST_RETRY,
    longest_retry: float = LONGEST_RETRY,
) -> None:
    """Run an RQ ``CronScheduler`` until ``stop`` is set, surviving Redis outages.

    Does what ``CronScheduler.start()`` does (register, enqueue what is due, heartbeat, sleep
    until the next job), but a Redis error is logged and retried after a growing delay instead
    of ending the process; the scheduler registers again when Redis is back.
    """
    from redis import RedisError

    stop = stop or threading.Event()
    registered = False
    retry = 0.0
    while not stop.is_set():
        try:
            if not registered:
                scheduler.register_birth()
                registered = True
            if scheduler.enqueue_jobs():
                scheduler.save()
            scheduler.heartbeat()
            if retry:
                log.warning("SLA scheduler: Redis answers again; ticks resume")
                retry = 0.0
            wait = scheduler.calculate_sleep_interval()
        except RedisError as error:
            registered = False
            retry = min(retry * 2 or first_retry, longest_retry)
            log.warning("SLA scheduler: Redis unreachable (%s); retrying in %.1f s", error, retry)
            wait = retry
        stop.wait(wait)
    if registered:
        try:
            scheduler.register_death()
        except RedisError:
            log.info("SLA scheduler: could not unregister from Redis on shutdown")


def worker(connection: Any, *, queue: str = QUEUE, name: str | None = None) -> Any:
    """An RQ worker for the tick's queue (``work(burst=True)`` drains it and returns)."""
    from rq import Worker

    return Worker([queue], connection=connection, name=name)


def redis_connection(url: str, **options: Any) -> Any:
    from redis import Redis

    return Redis.from_url(url, **options)


def scheduler_connection(url: str) -> Any:
    """The scheduler's connection, with timeouts: a Redis that hangs (not only one that
    refuses) must not stall it. (Workers keep the default: they block on the queue.)"""
    return redis_connection(url, socket_connect_timeout=5, socket_timeout=30)


def run_inline(
    *,
    interval: float = INTERVAL,
    ticks: int | None = None,
    clock: Callable[[], datetime] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    report: Callable[[TickReport], None] = lambda _r: None,
) -> int:
    """Tick in this process every ``interval`` seconds (``ticks`` times, or until interrupted);
    returns how many ticks ran. A failing tick is logged and rolled back, and the next one
    runs as usual: a database restart must not stop the SLA clock for good."""
    done = 0
    while ticks is None or done < ticks:
        if done:
            sleep(interval)
        try:
            if clock is None:
                result = tick_once()
            else:
                result = run_tick(clock())
                db.session.commit()
            if result is not None:
                report(result)
        except Exception:
            db.session.rollback()
            log.exception("SLA tick failed; the next one runs in %s s", interval)
        finally:
            db.session.remove()
        done += 1
    return done
