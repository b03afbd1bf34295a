"""``/metrics``: the Prometheus endpoint of a node.

It serves the request latency histogram of :mod:`app.ops.metrics` and the desk's state read
from the database and Redis at each scrape (so every node reports the same): outbox messages
pending and dead and the age of the oldest pending one (the outbox lag), each periodic job's
time since its last success (the SLA tick age) and its failures, the RQ queues' lengths.

It answers only a request with ``Authorization: Bearer <DESKGRAPH_METRICS_TOKEN>``; without the
setting there is no ``/metrics`` (404). It lives beside ``factory.py`` because it reads several
domains' tables.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator

from flask import Blueprint, Flask, Response, abort, current_app, request
from flask.typing import ResponseReturnValue
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db
from app.ops.metrics import process_registry
from app.policy import public
from app.timeutils import utc_now
from app.version import __version__

bp = Blueprint("metrics", __name__)


class DeskState(Collector):
    """The desk's state, read at scrape time."""

    def __init__(self, redis_url: str | None) -> None:
        self.redis_url = redis_url

    def collect(self) -> Iterator[Metric]:
        info = GaugeMetricFamily("deskgraph_info", "The running version.", labels=["version"])
        info.add_metric([__version__], 1)
        yield info
        try:
            yield from self._outbox()
            yield from self._jobs()
        except SQLAlchemyError:
            db.session.rollback()
            up = GaugeMetricFamily("deskgraph_database_up", "Whether the database answered.")
            up.add_metric([], 0)
            yield up
        else:
            up = GaugeMetricFamily("deskgraph_database_up", "Whether the database answered.")
            up.add_metric([], 1)
            yield up
        yield from self._queues()

    def _outbox(self) -> Iterator[Metric]:
        from app.outbox.models import OutboxMessage, OutboxState

        counts = dict(
            db.session.execute(
                select(OutboxMessage.state, func.count())
                .where(OutboxMessage.state.in_([OutboxState.PENDING, OutboxState.DEAD]))
                .group_by(OutboxMessage.state)
            ).all()
        )
        messages = GaugeMetricFamily(
            "deskgraph_outbox_messages", "Outbox messages by state.", labels=["state"]
        )
        for state in (OutboxState.PENDING, OutboxState.DEAD):
            messages.add_metric([state.value], counts.get(state, 0))
        yield messages
        oldest = db.session.scalar(
            select(func.min(OutboxMessage.created_at)).where(
                OutboxMessage.state == OutboxState.PENDING
            )
        )
        lag = GaugeMetricFamily(
            "deskgraph_outbox_lag_seconds", "Age of the oldest pending outbox message."
        )
        lag.add_metric([], (utc_now() - oldest).total_seconds() if oldest else 0.0)
        yield lag

    def _jobs(self) -> Iterator[Metric]:
        from app.ops.models import PeriodicJob

        age = GaugeMetricFamily(
            "deskgraph_periodic_job_age_seconds",
            "Seconds since each periodic job last succeeded (the SLA tick is sla.tick).",
            labels=["job"],
        )
        failures = GaugeMetricFamily(
            "deskgraph_periodic_job_failures", "Failed runs of each periodic job.", labels=["job"]
        )
        now = utc_now()
        for job in db.session.scalars(select(PeriodicJob).order_by(PeriodicJob.name)):
            if job.last_succeeded_at is not None:
                age.add_metric([job.name], (now - job.last_succeeded_at).total_seconds())
            failures.add_metric([job.name], job.failures)
        yield age
        yield failures

    def _queues(self) -> Iterator[Metric]:
        if not self.redis_url:
            return
        import redis
        from rq import Queue

        up = GaugeMetricFamily("deskgraph_redis_up", "Whether Redis answered.")
        lengths = GaugeMetricFamily(
            "deskgraph_rq_queue_length", "Jobs waiting per RQ queue.", labels=["queue"]
        )
        try:
            connection = redis.Redis.from_url(
                self.redis_url, socket_connect_timeout=1, socket_timeout=1
            )
            for queue in Queue.all(connection=connection):
                lengths.add_metric([queue.name], queue.count)
        except redis.RedisError:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield lengths


class _Process(Collector):
    """This node's request metrics, inside the scrape's registry."""

    def collect(self) -> Iterator[Metric]:
        yield from process_registry().collect()


def _authorised() -> bool:
    token = current_app.config.get("METRICS_TOKEN")
    if not token:
        abort(404)
    given = request.headers.get("Authorization", "")
    return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())


@bp.get("/metrics")
@public
def metrics() -> ResponseReturnValue:
    if not _authorised():
        return Response(
            "A bearer token is needed.\n",
            401,
            {"WWW-Authenticate": 'Bearer realm="metrics"'},
            mimetype="text/plain",
        )
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Process())
    registry.register(DeskState(current_app.config.get("REDIS_URL")))
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)


def register(app: Flask) -> None:
    app.register_blueprint(bp)
