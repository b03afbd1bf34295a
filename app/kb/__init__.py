"""The knowledge base: articles with a review lifecycle, reading and rating, suggestions
beside the report form with measured deflection, and articles on the agent's incident page
(KCS). It sits above incidents and requests (it links to both); nothing imports it."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def register(app: Flask) -> None:
    """Register the knowledge blueprint at ``/kb``, the hook that ends a deflection attempt
    when its report is sent, and the count beside "My articles" (what needs the owner)."""
    from app.kb import (
        incident_views,  # noqa: F401  (adds routes to bp)
        permissions,  # noqa: F401  (registers the rules)
    )
    from app.kb.services import owner_task_count
    from app.kb.views import bp, report_sent
    from app.ui import register_nav_count

    app.register_blueprint(bp, url_prefix="/kb")
    app.after_request(report_sent)
    register_nav_count(app, "kb.mine", owner_task_count)
