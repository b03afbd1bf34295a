"""The mail channel: notifications and replies go out by SMTP (``outgoing/``), mail comes in
by IMAP polling or an MTA's pipe and becomes tickets and replies (``incoming/``), read by the
pure parsers in ``parsing/``. One blueprint (``/mail``) serves the administrators' pages."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def register(app: Flask) -> None:
    """Register mail's routes: its blueprint, with the routes each sub-package adds."""
    from app.mail import incoming, outgoing
    from app.mail.blueprint import bp

    outgoing.register_routes(app)
    incoming.register_routes(app)
    app.register_blueprint(bp, url_prefix="/mail")
