"""Notifications: who hears of each ticket event, in the app (the bell, the list) and by mail
(immediately or in a daily digest), with the admins' settings and each person's preferences.

The events' transaction enqueues one ``notifications.fan_out`` outbox message
(:mod:`~app.notifications.hooks`); after the commit :func:`~app.notifications.services.fan_out`
works out the recipients with the pure :mod:`~app.notifications.rules` and writes the rows and
mails. Nothing imports this package; it reads every domain it needs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def register(app: Flask) -> None:
    """Register the blueprint, the bell's count and ``flask notifications``."""
    from app.notifications import services, views
    from app.notifications.cli import notifications_cli
    from app.notifications.headlines import headline
    from app.ui import register_shell_count

    app.register_blueprint(views.bp, url_prefix="/notifications")
    app.jinja_env.globals["notification_headline"] = headline
    app.cli.add_command(notifications_cli)
    # The bell's number, read with the page's other counts in one statement where a page's
    # shell shows it (app.ui, base.html).
    register_shell_count(app, "unread_notifications", services.unread_query)
