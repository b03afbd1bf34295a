"""People, groups (assignment groups), roles and sign-in."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def register(app: Flask) -> None:
    """Register auth's routes: its blueprint, with the routes its other view modules add."""
    from app.auth import people_views  # noqa: F401  (routes on bp)
    from app.auth.views import bp

    app.register_blueprint(bp)
