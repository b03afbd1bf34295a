"""The knowledge base: articles with a review lifecycle, reading and rating, suggestions
beside the report form with measured deflection, and articles on the agent's incident page
(KCS). It sits above incidents and requests (it links to both); nothing imports it."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def register(app: Flask) -> None:
    """Register the knowledge blueprint at ``/kb`` (the factory connects the receiver that
    ends a deflection attempt when its report is sent: ``hooks.report_sent``)."""
    from app.kb import (
        incident_views,  # noqa: F401  (adds routes to bp)
        permissions,  # noqa: F401  (registers the rules)
    )
    from app.kb.views import bp

    app.register_blueprint(bp, url_prefix="/kb")
