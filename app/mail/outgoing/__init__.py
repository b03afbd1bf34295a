"""Mail out: notifications and replies composed from templates, recorded, sent by SMTP after
commit through the outbox."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def register_routes(app: Flask) -> None:
    """Import the view modules that add mail-out routes to the mail blueprint."""
    from app.mail.outgoing import views  # noqa: F401
