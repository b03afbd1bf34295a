"""Service requests: the catalog, approvals and fulfilment tasks."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def register(app: Flask) -> None:
    """Register requests' routes: its blueprint, with the routes its other view modules add."""
    from app.i18n.content import translated
    from app.requests import request_views  # noqa: F401  (they add routes to bp)
    from app.requests.approvals import link_views  # noqa: F401
    from app.requests.approvals import views as approval_views  # noqa: F401
    from app.requests.approvals.services import waiting_count_query
    from app.requests.catalog import admin_editor_views, admin_views  # noqa: F401
    from app.requests.fulfilment import views as task_views  # noqa: F401
    from app.requests.views import bp
    from app.ui import register_nav_count

    app.register_blueprint(bp, url_prefix="/requests")
    # {{ item|translated("name") }}: catalog content in the reader's language (app.i18n.content).
    app.add_template_filter(translated, "translated")
    # "My approvals" shows how many approvals wait for the person, on every page.
    register_nav_count(app, "requests.approvals", waiting_count_query)
