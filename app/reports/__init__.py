"""Reporting: measures, dashboards, exports."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def register(app: Flask) -> None:
    """The reports blueprint with the saved views' and weekly mail's routes, and ``flask
    reports``. (i17-charts' stand-in: the report pages' own ``register`` replaces it and
    keeps these calls.)"""
    from flask.cli import AppGroup

    from app.reports import saved, subscriptions
    from app.reports.blueprint import bp

    saved.register_views()
    subscriptions.register_views()
    app.register_blueprint(bp)
    reports_cli = AppGroup("reports", help="Reports: the weekly report mail.")
    subscriptions.register_cli(reports_cli)
    app.cli.add_command(reports_cli)
