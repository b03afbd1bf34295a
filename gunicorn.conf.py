"""gunicorn's settings for Deskgraph, read from the working directory (``gunicorn wsgi:app``).

Workers are forked from a master that has already built the application and loaded the CMDB's
compact impact graph (``preload_app``): the imported code and the graph's arrays stay in pages
every worker shares until one writes to them, instead of one copy per worker (docs/deploy.md
and docs/benchmarks.md give the figures). The master closes its database connections before
forking, and each worker starts with empty pools, so no connection is ever shared. A worker
whose CMDB changed rebuilds its own graph as before (the cache checks the revision on every
request).

Everything else (``--workers``, ``--bind``, timeouts) is left to the command line or
``GUNICORN_CMD_ARGS``. ``DESKGRAPH_PRELOAD=0`` builds the application in each worker instead
(then each worker loads its own graph as it starts); ``DESKGRAPH_PRELOAD_CMDB=0`` loads the
graph on the first request that needs it rather than before serving.
"""

from __future__ import annotations

import gc
import logging
import os
from typing import Any

preload_app = os.environ.get("DESKGRAPH_PRELOAD", "1") != "0"

log = logging.getLogger("gunicorn.error")


def _app() -> Any:
    from wsgi import app

    return app


def _dispose_pools(close: bool) -> None:
    from app.extensions import db

    with _app().app_context():
        for engine in db.engines.values():
            engine.dispose(close=close)


def _load_cmdb(where: str) -> None:
    if os.environ.get("DESKGRAPH_PRELOAD_CMDB", "1") == "0":
        return
    try:
        from app.cmdb.cache import current_graph

        with _app().app_context():
            graph = current_graph()
            log.info("CMDB graph loaded %s: %d CIs", where, len(graph.index))
    except Exception:  # noqa: BLE001  (a database down at start must not stop the node)
        log.warning("CMDB graph not loaded %s; the first request loads it", where, exc_info=True)


def when_ready(server: Any) -> None:
    """In the master, before the first fork: load the CMDB graph, close the connections, and
    freeze what is alive so the collector never touches (and unshares) those pages."""
    if preload_app:
        _load_cmdb("before fork")
        _dispose_pools(close=True)
        gc.freeze()


def post_fork(server: Any, worker: Any) -> None:
    """In each new worker: forget any pooled connection inherited from the master."""
    if preload_app:
        _dispose_pools(close=False)


def post_worker_init(worker: Any) -> None:
    """Without preloading, each worker loads its own graph before serving."""
    if not preload_app:
        _load_cmdb(f"in worker {worker.pid}")


def child_exit(server: Any, worker: Any) -> None:
    """A worker ended: its Prometheus files stop counting as a live process."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
