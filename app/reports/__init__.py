"""Reporting: measures, dashboards, exports."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def register(app: Flask) -> None:
    """The reports blueprint with the saved views' and weekly mail's routes, and ``mail-weekly``
    in ``flask reports``. (i17-charts' stand-in: the report pages' own ``register`` replaces it
    and keeps these calls.)"""
    from app.reports import saved, subscriptions
    from app.reports.blueprint import bp
    from app.reports.rollups.cli import reports_cli

    saved.register_views()
    subscriptions.register_views()
    app.register_blueprint(bp)
    subscriptions.register_cli(reports_cli)
