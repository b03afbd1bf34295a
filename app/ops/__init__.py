"""Operations: request ids, logging, security headers and the health endpoint."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def register(app: Flask) -> None:
    """Register ops' routes (its blueprint)."""
    from app.ops.views import bp

    app.register_blueprint(bp)
