"""The knowledge base: articles with a review lifecycle, reading and rating, suggestions
beside the report form with measured deflection, and articles on the agent's incident page
(KCS). It sits above incidents and requests (it links to both); nothing imports it."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def register(app: Flask) -> None:
    """Register the knowledge blueprint at ``/kb`` and the hook that ends a deflection
    attempt when its report is sent."""
    from app.kb import (
        incident_views,  # noqa: F401  (adds routes to bp)
        permissions,  # noqa: F401  (registers the rules)
    )
    from app.kb.views import bp, report_sent

    app.register_blueprint(bp, url_prefix="/kb")
    app.after_request(report_sent)
