"""Monitoring alerts that become incidents, grouped by the CMDB (docs/alerts.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def register(app: Flask) -> None:
    """Register the alerts pages (sources, recent alerts) under ``/alerts``."""
    from app.alerts.views import bp

    app.register_blueprint(bp, url_prefix="/alerts")
