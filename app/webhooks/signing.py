"""Signing a webhook delivery, and checking a signature as a receiver does (pure: no Flask,
no database; the clock is an argument).

The signature is the hex HMAC-SHA256, keyed by the subscription's secret, of the delivery's
timestamp (whole seconds since the epoch, as sent in ``Deskgraph-Timestamp``), a full stop
and the exact bytes of the body: ``Deskgraph-Signature: sha256=<hex>``. Signing the timestamp
with the body lets a receiver refuse an old delivery replayed by someone who recorded it, and
the ``Deskgraph-Delivery`` id lets it drop a delivery it already processed (a retry after a
timeout carries the same id). ``docs/webhooks.md`` shows the receiver's side.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

SCHEME = "sha256="
DEFAULT_TOLERANCE = 300  # seconds a receiver accepts between the timestamp and its clock

EVENT_HEADER = "Deskgraph-Event"
DELIVERY_HEADER = "Deskgraph-Delivery"
TIMESTAMP_HEADER = "Deskgraph-Timestamp"
SIGNATURE_HEADER = "Deskgraph-Signature"


class SignatureError(ValueError):
    """A delivery a receiver must refuse: unsigned, signed with another secret or over other
    bytes, or too old (a replay)."""


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The ``Deskgraph-Signature`` value of ``body`` sent at ``timestamp``."""
    signed = str(timestamp).encode() + b"." + body
    return SCHEME + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def headers(
    secret: str, event: str, delivery_id: str, timestamp: int, body: bytes
) -> dict[str, str]:
    """Every header of a delivery but the transport's own."""
    return {
        "Content-Type": "application/json",
        EVENT_HEADER: event,
        DELIVERY_HEADER: delivery_id,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: signature(secret, timestamp, body),
    }


def verify(
    secret: str,
    received: Mapping[str, str],
    body: bytes,
    now: float,
    tolerance: int = DEFAULT_TOLERANCE,
) -> str:
    """Check a delivery as a receiver should; returns its delivery id (the replay key).

    ``received`` holds the request's headers (looked up case-insensitively).

    :raise SignatureError: a header is missing, the signature does not match, or the
        timestamp is more than ``tolerance`` seconds away from ``now``.
    """
    lowered = {key.lower(): value for key, value in received.items()}
    stamp = lowered.get(TIMESTAMP_HEADER.lower(), "")
    given = lowered.get(SIGNATURE_HEADER.lower(), "")
    delivery = lowered.get(DELIVERY_HEADER.lower(), "")
    if not stamp.isdecimal() or not given or not delivery:
        raise SignatureError("the delivery is not signed")
    if not hmac.compare_digest(given, signature(secret, int(stamp), body)):
        raise SignatureError("the signature does not match the body")
    if abs(now - int(stamp)) > tolerance:
        raise SignatureError("the timestamp is too old or in the future (a replay?)")
    return delivery
