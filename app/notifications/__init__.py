"""Notifications: who hears of each ticket event, in the app (the bell, the list) and by mail
(immediately or in a daily digest), with the admins' settings and each person's preferences.

The events' transaction enqueues one ``notifications.fan_out`` outbox message
(:mod:`~app.notifications.hooks`); after the commit :func:`~app.notifications.services.fan_out`
works out the recipients with the pure :mod:`~app.notifications.rules` and writes the rows and
mails. Nothing imports this package; it reads every domain it needs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask


def register(app: Flask) -> None:
    """Register the blueprint, the bell's context processor and ``flask notifications``."""
    from flask import g, has_request_context
    from flask_login import current_user

    from app.notifications import services, views
    from app.notifications.cli import notifications_cli
    from app.notifications.headlines import headline

    app.register_blueprint(views.bp, url_prefix="/notifications")
    app.jinja_env.globals["notification_headline"] = headline
    app.cli.add_command(notifications_cli)

    @app.context_processor
    def bell() -> dict[str, Any]:
        """The bell's count: one query per request, however many templates it renders."""
        if not has_request_context() or not current_user.is_authenticated:
            return {}
        if "unread_notifications" not in g:
            g.unread_notifications = services.unread_count(current_user)
        return {"unread_notifications": g.unread_notifications}
