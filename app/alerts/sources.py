"""Alert sources' settings and the recent alerts, for the alert pages (services flush; the
view commits)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import joinedload, selectinload

from app.alerts.models import Alert, AlertSource, AlertStatus
from app.errors import Invalid, check_version
from app.extensions import db


def update_source(
    source: AlertSource,
    *,
    ci_label: str | None,
    auto_resolve: bool,
    damping_seconds: int,
    group_window_seconds: int,
    group_wait_seconds: int | None = None,
    expected_version: Any = None,
) -> None:
    """Change a source's settings.

    :raise Conflict: the source changed since ``expected_version``.
    :raise Invalid: a window out of range (0 to one day). ``group_wait_seconds`` None
        keeps the stored group wait.
    """
    check_version(source, expected_version, f"Alert source {source.name}")
    errors = {}
    for name, value in (
        ("damping_seconds", damping_seconds),
        ("group_window_seconds", group_window_seconds),
        ("group_wait_seconds", group_wait_seconds),
    ):
        if value is None:
            continue
        if not 0 <= value <= 86_400:
            errors[name] = "Between 0 and 86400 seconds (a day)."
    if errors:
        raise Invalid(errors)
    source.ci_label = (ci_label or "").strip()[:100] or None
    source.auto_resolve = auto_resolve
    source.damping_seconds = damping_seconds
    source.group_window_seconds = group_window_seconds
    if group_wait_seconds is not None:
        source.group_wait_seconds = group_wait_seconds
    db.session.flush()


def recent_alerts(
    limit: int = 100, source_id: int | None = None, incident_id: int | None = None
) -> list[Alert]:
    """The alerts seen last, newest first (of one source, of one incident)."""
    query = (
        select(Alert)
        .options(selectinload(Alert.ci), selectinload(Alert.incident))
        .order_by(Alert.last_seen_at.desc(), Alert.id.desc())
        .limit(limit)
    )
    if source_id is not None:
        query = query.where(Alert.source_id == source_id)
    if incident_id is not None:
        query = query.where(Alert.incident_id == incident_id)
    return list(db.session.scalars(query))


@dataclass(frozen=True)
class IncidentAlerts:
    """The first ``alerts`` of an incident and how many it has, firing or in all."""

    alerts: list[Alert]
    total: int
    firing: int


def incident_alerts(incident_id: int, limit: int) -> IncidentAlerts:
    """An incident's alerts, firing first, then the latest seen; with their counts (one
    statement: the counts are window aggregates over the same rows)."""
    firing = case((Alert.status == AlertStatus.FIRING, 1), else_=0)
    rows = db.session.execute(
        select(Alert, func.count().over(), func.sum(firing).over())
        .options(joinedload(Alert.ci))
        .where(Alert.incident_id == incident_id)
        .order_by(firing.desc(), Alert.last_seen_at.desc(), Alert.id.desc())
        .limit(limit)
    ).all()
    if not rows:
        return IncidentAlerts([], 0, 0)
    return IncidentAlerts([r[0] for r in rows], int(rows[0][1]), int(rows[0][2] or 0))


def sources() -> list[AlertSource]:
    return list(db.session.scalars(select(AlertSource).order_by(AlertSource.name)))
