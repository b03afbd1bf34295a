"""Outgoing webhooks: administrators subscribe URLs to ticket events (filtered by event,
ticket kind, group and service); each committed event is fanned out after commit into one
signed HTTP delivery per matching subscription, through the outbox with its retries, logged
with the receiver's answer; a subscription that keeps failing is switched off.

:mod:`~app.webhooks.hooks` enqueues one ``webhooks.fan_out`` message per commit of events,
:mod:`~app.webhooks.services` matches and queues ``webhooks.deliver`` messages,
:mod:`~app.webhooks.delivery` sends them. The pure :mod:`~app.webhooks.signing` and
:mod:`~app.webhooks.vocabulary` hold the signature and the filters. Nothing imports this
package. ``docs/webhooks.md`` is the receiver's guide.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def register(app: Flask) -> None:
    """Register the blueprint (the administrators' pages), the outbox handlers and
    ``flask webhooks``."""
    from app.webhooks import cli, delivery, views  # noqa: F401  (delivery registers its handler)

    app.register_blueprint(views.bp, url_prefix="/admin/webhooks")
    app.cli.add_command(cli.webhooks_cli)
