"""Mail in: messages from IMAP mailboxes or an MTA's pipe become tickets, replies and approval
decisions; what cannot be handled is quarantined with its reason, never lost."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def register_routes(app: Flask) -> None:
    """Import the view modules that add mail-in routes to the mail blueprint."""
    from app.mail import permissions  # noqa: F401  (registers mail.admin)
    from app.mail.incoming import (
        models,  # noqa: F401  (the tables, for migrations' checks)
        views,  # noqa: F401
    )
    from app.mail.incoming.cli import mail_cli

    app.cli.add_command(mail_cli)
