"""The configuration database and its dependency graph."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def register(app: Flask) -> None:
    """Register cmdb's routes: its blueprint, with the routes its other view modules add, and
    the words the graph's script shows (``dgText``)."""
    from app.cmdb import graph_views, settings_views  # noqa: F401  (they add routes to bp)
    from app.cmdb.classes import views as class_views  # noqa: F401
    from app.cmdb.graph_views import JS_MESSAGES
    from app.cmdb.transfer import views as transfer_views  # noqa: F401
    from app.cmdb.views import bp
    from app.i18n.locale import register_js_messages

    app.register_blueprint(bp, url_prefix="/cmdb")
    register_js_messages(app, JS_MESSAGES)
