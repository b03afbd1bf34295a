"""Alert sources' settings and the recent alerts, for the alert pages (services flush; the
view commits)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.alerts.models import Alert, AlertSource
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


def recent_alerts(limit: int = 100, source_id: int | None = None) -> list[Alert]:
    """The alerts seen last, newest first."""
    query = (
        select(Alert)
        .options(selectinload(Alert.ci), selectinload(Alert.incident))
        .order_by(Alert.last_seen_at.desc(), Alert.id.desc())
        .limit(limit)
    )
    if source_id is not None:
        query = query.where(Alert.source_id == source_id)
    return list(db.session.scalars(query))


def sources() -> list[AlertSource]:
    return list(db.session.scalars(select(AlertSource).order_by(AlertSource.name)))
