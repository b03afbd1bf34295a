"""Monitoring alerts that become incidents, grouped by the CMDB (docs/alerts.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def register(app: Flask) -> None:
    """Register the alerts pages (sources, recent alerts) under ``/alerts`` and the incident
    page's alert panel (a template global)."""
    from app.alerts import panels
    from app.alerts.views import bp

    app.register_blueprint(bp, url_prefix="/alerts")
    app.jinja_env.globals.update(panels.globals_())
