"""The process's own Prometheus metrics: request latency by endpoint.

With several gunicorn workers, set ``PROMETHEUS_MULTIPROC_DIR`` to an empty folder (the same
for every worker of a node, emptied when the node starts) before the workers start:
prometheus_client then keeps each worker's values in files there and ``/metrics`` adds them up
(docs/deploy.md). Without it, each process answers for itself.
"""

from __future__ import annotations

import os

from prometheus_client import CollectorRegistry, Histogram, multiprocess

REGISTRY = CollectorRegistry(auto_describe=True)
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

REQUEST_SECONDS = Histogram(
    "deskgraph_request_duration_seconds",
    "Server time per request, by endpoint, method and status class.",
    ("endpoint", "method", "status"),
    buckets=BUCKETS,
    registry=REGISTRY,
)


def observe_request(method: str, endpoint: str, status: int, seconds: float) -> None:
    REQUEST_SECONDS.labels(endpoint, method, f"{status // 100}xx").observe(seconds)


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def process_registry() -> CollectorRegistry:
    """What this node's workers measured: every worker's files in multiprocess mode, this
    process's own values otherwise."""
    if multiprocess_dir():
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return REGISTRY
