"""Incident management: report, triage, work and resolve what is broken."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def register(app: Flask) -> None:
    """Register incidents' routes: its blueprint, with the routes its other view modules add."""
    from app.incidents import (  # noqa: F401  (they add routes to bp)
        call_views,
        ci_views,
        major_views,
        portal_views,
        settings_views,
    )
    from app.incidents.pages import category_name
    from app.incidents.timeline_words import change_field, change_value, timeline_html
    from app.incidents.views import bp

    app.register_blueprint(bp, url_prefix="/incidents")
    app.add_template_global(category_name, "category_name")
    app.add_template_global(change_field, "change_field")
    app.add_template_global(change_value, "change_value")
    app.add_template_global(timeline_html, "timeline_html")
