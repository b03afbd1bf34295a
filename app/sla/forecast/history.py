"""The queues' past clocks for the forecast, read from the task SLA records and cached.

One :class:`~app.sla.forecast.survival.Model` per queue, kind of SLA and UTC day: the first
page of the day reads the queue's clocks started in the last :data:`WINDOW` (at most
:data:`MAX_ROWS`, the newest), with the desk's (at most :data:`MAX_DESK`) behind them for the
broader strata; later pages of the day reuse it. The cache holds :data:`CACHE_SIZE` models per
process (least recently used out first), so memory stays bounded whatever the number of
queues. Finished clocks are events at their elapsed business time, running ones censored at
the time stored by their last recomputation (a lower bound, as censoring needs).
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import date, datetime, timedelta
from threading import Lock
from typing import Any

import numpy as np
from sqlalchemy import Float, cast, extract, func, select

from app.extensions import db
from app.sla.forecast.survival import History, Model, backlog_at
from app.sla.models import SlaKind, SlaStage, TaskSla

WINDOW = timedelta(days=180)
MAX_ROWS = 20_000
MAX_DESK = 50_000
CACHE_SIZE = 256
DECIDED = (SlaStage.MET, SlaStage.BREACHED)
LIVE = (SlaStage.IN_PROGRESS, SlaStage.PAUSED)

_models: OrderedDict[tuple[Any, ...], Model] = OrderedDict()
_lock = Lock()


def running() -> Any:
    """The condition of a clock still running and not yet recorded as breached (in progress
    or paused): read through ``ix_task_slas_stage_due``. A breached clock still running is
    left out: at a million records an ``OR`` over the breached ones scans the table."""
    return TaskSla.stage.in_(LIVE)


def epoch(column: Any) -> Any:
    """An instant as epoch seconds, computed by the database (no datetime per row in Python)."""
    return cast(extract("epoch", column), Float)


def _rows(where: list[Any], limit: int) -> list[Any]:
    """Decided clocks (the reports' covering index) and running ones, newest first."""
    columns = (
        TaskSla.elapsed_seconds,
        TaskSla.target_seconds,
        epoch(TaskSla.stopped_at).label("stopped"),
        TaskSla.priority,
        epoch(TaskSla.started_at).label("started"),
    )
    where = [*where, TaskSla.target_seconds > 0]
    decided = (
        select(*columns)
        .where(*where, TaskSla.stage.in_(DECIDED))
        .order_by(TaskSla.started_at.desc())
        .limit(limit)
    )
    rows = list(db.session.execute(decided))
    live = select(*columns).where(*where, TaskSla.stage.in_(LIVE))
    return rows + list(db.session.execute(live.limit(limit)))


def history_of(where: list[Any], limit: int) -> History:
    rows = _rows(where, limit)
    starts = np.array([r.started for r in rows], dtype=np.float64)
    stops = np.array([np.inf if r.stopped is None else r.stopped for r in rows], np.float64)
    return History.of(
        [r.elapsed_seconds for r in rows],
        [r.target_seconds for r in rows],
        [r.stopped is not None for r in rows],
        [r.priority for r in rows],
        backlog_at(starts, stops, starts),
    )


def model(group_id: int, kind: SlaKind, now: datetime) -> Model:
    """The forecast model of a queue's clocks of ``kind`` for the UTC day of ``now``."""
    day = now.date()
    key = (group_id, kind.value, day)
    with _lock:
        found = _models.get(key)
        if found is not None:
            _models.move_to_end(key)
            return found
    since = now - WINDOW
    queue = history_of(
        [TaskSla.group_id == group_id, TaskSla.kind == kind, TaskSla.started_at >= since],
        MAX_ROWS,
    )
    built = Model(queue, desk=lambda: _desk(kind, day, since))
    with _lock:
        _models[key] = built
        while len(_models) > CACHE_SIZE:
            _models.popitem(last=False)
    return built


_desks: dict[tuple[str, date], History] = {}


def _desk(kind: SlaKind, day: date, since: datetime) -> History:
    key = (kind.value, day)
    with _lock:
        found = _desks.get(key)
    if found is None:
        found = history_of([TaskSla.kind == kind, TaskSla.started_at >= since], MAX_DESK)
        with _lock:
            if len(_desks) > 8:
                _desks.clear()
            _desks[key] = found
    return found


def current_backlog(group_ids: list[int]) -> dict[tuple[int, str], int]:
    """Running clocks not yet breached per queue and kind, now."""
    if not group_ids:
        return {}
    query = (
        select(TaskSla.group_id, TaskSla.kind, func.count())
        .where(TaskSla.group_id.in_(group_ids), running())
        .group_by(TaskSla.group_id, TaskSla.kind)
    )
    return {(g, SlaKind(k).value): int(n) for g, k, n in db.session.execute(query) if g}


def clear() -> None:
    """Forget every cached model (tests; after a bulk import of history)."""
    with _lock:
        _models.clear()
        _desks.clear()
