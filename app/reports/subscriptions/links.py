"""Signed unsubscribe links for the weekly report mail: a link names one subscription and its
person (``app.signed_links``, a salt of its own), valid for :data:`VALID_FOR`; opening it
shows a button, and only the POST unsubscribes (mail scanners follow links)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from app import signed_links
from app.extensions import db
from app.reports.subscriptions.models import Subscription
from app.signed_links import LinkError

SALT = "deskgraph.reports.unsubscribe"
VALID_FOR = timedelta(days=90)


def token(subscription: Subscription) -> str:
    """The signed token of ``subscription`` (needs an application context)."""
    return signed_links.dumps(SALT, [subscription.id, subscription.user_id])


def open_link(value: str) -> tuple[int, Subscription | None]:
    """(person id, their subscription) a token names; the subscription is None when it has
    already ended (unsubscribing twice is no error).

    :raise LinkExpired: too old (410).
    :raise LinkError: malformed or tampered with (403).
    """
    payload: Any = signed_links.loads(SALT, value, VALID_FOR, what="unsubscribe")
    if not (
        isinstance(payload, list)
        and len(payload) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) for v in payload)
    ):
        raise LinkError("This unsubscribe link is not valid.")
    subscription = db.session.get(Subscription, payload[0])
    if subscription is not None and subscription.user_id != payload[1]:
        raise LinkError("This unsubscribe link is not valid.")
    return payload[1], subscription
