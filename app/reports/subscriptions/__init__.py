"""The weekly report mail: people subscribe to a report view from ``/reports/weekly``, and
``flask reports mail-weekly`` (cron, daily) mails each the figures of the week through the mail
outbox, with a signed link to unsubscribe."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask.cli import AppGroup


def register_views() -> None:
    """Add the weekly report's routes to the reports blueprint (before it is registered)."""
    from app.reports.subscriptions import views  # noqa: F401


def register_cli(group: AppGroup) -> None:
    """Add ``mail-weekly`` to the ``flask reports`` command group."""
    from app.reports.subscriptions.cli import mail_weekly

    group.add_command(mail_weekly)
