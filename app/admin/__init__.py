"""Administration of people, groups and roles."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def register(app: Flask) -> None:
    """Register admin's routes (its blueprint)."""
    from app.admin.views import bp

    app.register_blueprint(bp, url_prefix="/admin")
