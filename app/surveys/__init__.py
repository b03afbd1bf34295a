"""Satisfaction surveys: when a ticket is resolved (an incident, a request item closed
complete) its caller may be asked one question (1–5 faces, an optional comment), in the portal
and through the notification mail's signed link; a low score tells the group's manager and
offers the caller to reopen; scores appear on the ticket for IT staff and in a report.

The survey row is written in the resolving transaction by a session hook
(:mod:`~app.surveys.hooks`); the sampling rule is the pure :mod:`~app.surveys.sampling`.
Nothing imports this package but the factory: the notifications name its events and kinds as
strings, and the ticket pages call its panels as template globals.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def register(app: Flask) -> None:
    """Register the blueprint, the ticket pages' panels and ``flask surveys``."""
    from app.surveys import panels, views
    from app.surveys.cli import surveys_cli

    app.register_blueprint(views.bp, url_prefix="/surveys")
    app.cli.add_command(surveys_cli)
    app.jinja_env.globals.update(panels.globals_())
