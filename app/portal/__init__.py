"""The employee portal: the home page of everyone who works here."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def register(app: Flask) -> None:
    """Register portal's routes (its blueprint)."""
    from app.portal.views import bp

    app.register_blueprint(bp)
