"""Reporting: measures, dashboards, exports."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def register(app: Flask) -> None:
    """Register the report pages: the shared blueprint, with the routes its view modules add."""
    from app.reports import views  # noqa: F401  (adds the dashboards' routes to bp)
    from app.reports.blueprint import bp

    app.register_blueprint(bp)
