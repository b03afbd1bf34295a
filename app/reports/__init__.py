"""Reporting: measures, dashboards, exports."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def register(app: Flask) -> None:
    """Register the report pages: the shared blueprint with the routes its view modules add
    (dashboards, saved views, the weekly mail's subscriptions), and the weekly mail's commands
    in ``flask reports`` (the group ``app.cli`` adds, with the rollups' command)."""
    from app.reports import (
        saved,
        subscriptions,
        views,  # noqa: F401  (adds the dashboards' routes to bp)
    )
    from app.reports.blueprint import bp
    from app.reports.rollups.cli import reports_cli

    saved.register_views()
    subscriptions.register_views()
    subscriptions.register_cli(reports_cli)
    app.register_blueprint(bp)
