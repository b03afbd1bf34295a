"""SLA policies, business calendars, the SLA clock and compliance reports."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def register(app: Flask) -> None:
    """Register sla's routes: its blueprint, with the routes its other view modules add."""
    from app.sla import manage_views, report_views  # noqa: F401  (routes on bp)
    from app.sla.forecast import views as forecast_views  # noqa: F401  (routes on bp)
    from app.sla.views import bp

    app.register_blueprint(bp, url_prefix="/sla")
