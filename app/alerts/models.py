"""Monitoring alerts, the sources that send them, and the open groups that turn them into
incidents (see :mod:`app.alerts.services` and docs/alerts.md)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.audit import JSONType
from app.db import str_enum, unique
from app.extensions import Model
from app.i18n import N_
from app.timeutils import utc_now

DEFAULT_DAMPING_SECONDS = 300
DEFAULT_GROUP_WINDOW_SECONDS = 600
DEFAULT_GROUP_WAIT_SECONDS = 300


class AlertStatus(enum.StrEnum):
    FIRING = "firing"
    RESOLVED = "resolved"


class AlertSource(Model):
    """A monitoring system that posts alerts (an Alertmanager receiver, a generic sender).

    Made on the first alert it sends, with the defaults; administrators tune it on the alert
    sources page. ``version`` guards edits.
    """

    __tablename__ = "alert_sources"
    __table_args__ = (
        unique("name", field="name", message=N_("An alert source with this name already exists.")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    # A label whose value names the CI (checked before the built-in host and IP labels).
    ci_label: Mapped[str | None] = mapped_column(String(100))
    # When every alert of an incident is resolved, the incident resolves itself.
    auto_resolve: Mapped[bool] = mapped_column(default=False, server_default=false())
    # A change of state within this many seconds of the previous one is a flap: damped.
    damping_seconds: Mapped[int] = mapped_column(
        Integer, default=DEFAULT_DAMPING_SECONDS, server_default=str(DEFAULT_DAMPING_SECONDS)
    )
    # Alerts firing within this many seconds of each other are grouped by the CMDB.
    group_window_seconds: Mapped[int] = mapped_column(
        Integer,
        default=DEFAULT_GROUP_WINDOW_SECONDS,
        server_default=str(DEFAULT_GROUP_WINDOW_SECONDS),
    )
    # Group wait: when a root CI starts alerting, the open alert incidents of the CIs that
    # depend on it opened up to this many seconds before its own become its children.
    group_wait_seconds: Mapped[int] = mapped_column(
        Integer,
        default=DEFAULT_GROUP_WAIT_SECONDS,
        server_default=str(DEFAULT_GROUP_WAIT_SECONDS),
    )
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}


class AlertGroup(Model):
    """The incident of one root: the most upstream alerting CI of a storm (or one alert that
    names no CI). ``open_key`` (``ci:<id>`` or ``alert:<id>``) is unique while the group is
    open and cleared when its incident is no longer open: two requests for the same root at
    once cannot both open an incident, the second waits for the first and joins its group."""

    __tablename__ = "alert_groups"
    __table_args__ = (UniqueConstraint("open_key", name="uq_alert_groups_open_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    open_key: Mapped[str | None] = mapped_column(String(80))
    root_ci_id: Mapped[int | None] = mapped_column(
        ForeignKey("configuration_items.id", ondelete="SET NULL"), index=True
    )
    incident_id: Mapped[int | None] = mapped_column(
        ForeignKey("incidents.id", ondelete="SET NULL"), index=True
    )
    opened_at: Mapped[datetime] = mapped_column(default=utc_now)
    closed_at: Mapped[datetime | None]

    incident = relationship("Incident")
    root_ci = relationship("ConfigurationItem")


class Alert(Model):
    """One alert of one source, identified by its fingerprint: the same alert posted again
    updates this row (deduplication)."""

    __tablename__ = "alerts"
    __table_args__ = (
        UniqueConstraint("source_id", "fingerprint", name="uq_alerts_source_id_fingerprint"),
        Index("ix_alerts_status_last_seen_at", "status", "last_seen_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("alert_sources.id", ondelete="CASCADE"))
    fingerprint: Mapped[str] = mapped_column(String(128))
    status: Mapped[AlertStatus] = mapped_column(str_enum(AlertStatus, "alert_status"))
    severity: Mapped[str] = mapped_column(String(20))
    summary: Mapped[str] = mapped_column(String(500))
    labels: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    ci_id: Mapped[int | None] = mapped_column(
        ForeignKey("configuration_items.id", ondelete="SET NULL"), index=True
    )
    starts_at: Mapped[datetime | None]
    ends_at: Mapped[datetime | None]
    first_seen_at: Mapped[datetime] = mapped_column(default=utc_now)
    last_seen_at: Mapped[datetime] = mapped_column(default=utc_now)
    # The last change of status (firing ↔ resolved): flap damping measures from it.
    changed_at: Mapped[datetime] = mapped_column(default=utc_now)
    flap_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # How many times the source sent it (a payload posted twice counts twice; nothing else
    # changes): shown with the alert on its incident's page.
    received_count: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    group_id: Mapped[int | None] = mapped_column(
        ForeignKey("alert_groups.id", ondelete="SET NULL"), index=True
    )
    incident_id: Mapped[int | None] = mapped_column(
        ForeignKey("incidents.id", ondelete="SET NULL"), index=True
    )

    source = relationship("AlertSource", lazy="joined")
    ci = relationship("ConfigurationItem")
    incident = relationship("Incident")
