"""The configuration database and its dependency graph."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def register(app: Flask) -> None:
    """Register cmdb's routes: its blueprint, with the routes its other view modules add."""
    from app.cmdb import graph_views, settings_views  # noqa: F401  (they add routes to bp)
    from app.cmdb.classes import views as class_views  # noqa: F401
    from app.cmdb.transfer import views as transfer_views  # noqa: F401
    from app.cmdb.views import bp

    app.register_blueprint(bp, url_prefix="/cmdb")
