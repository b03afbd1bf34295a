"""The outbox handler that sends one delivery (kind ``webhooks.deliver``, ``{"id": ...}``).

An HTTP POST of the stored body, signed afresh at each attempt (``app.webhooks.signing``),
with connect and read timeouts, redirects not followed (a 3xx is a failure), and the
response's first bytes kept for the log. A 2xx marks the delivery ``succeeded`` and resets
the subscription's failure count, committed with the outbox message: a delivery that
succeeded is never sent again, however often its message or the admin's button comes back.

A failure is committed at once (the outbox rolls a failing handler's work back, and the log
must say why) and raised for the outbox to retry with its backoff. Every failed attempt
counts against the subscription: at ``WEBHOOK_MAX_FAILURES`` in a row it is switched off,
with the reason, and its waiting deliveries are given up.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from flask import current_app
from sqlalchemy import Table, select, update

from app.extensions import db
from app.i18n import N_
from app.i18n.stored import english, stored
from app.outbox import MAX_ATTEMPTS, PermanentFailure, handler
from app.timeutils import utc_now
from app.version import __version__
from app.webhooks import addresses, sealing, signing
from app.webhooks.models import DeliveryState, WebhookDelivery, WebhookSubscription
from app.webhooks.services import DELIVER, secret_of

if TYPE_CHECKING:  # requests loads with the first delivery, not in every worker (issue 20)
    import requests

RESPONSE_KEPT = 2000  # characters of a response body kept in the log
SWITCHED_OFF = N_("Not sent: the subscription is switched off.")
UNREADABLE_SECRET = N_(
    "Not sent: the signing secret cannot be unsealed (the key setting changed?). Make a new "
    "secret on the subscription's page."
)


class DeliveryFailed(Exception):
    """The receiver did not take the delivery this time; the outbox retries it."""


@dataclass
class Outcome:
    status: int | None
    body: str | None
    duration_ms: int
    problem: Mapping[str, Any] | None  # why it failed, as a stored message (app.i18n.stored)

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def error(self) -> str | None:
        """Why it failed, in English (the log, the outbox's retry reason)."""
        return english(self.problem)[:2000] if self.problem else None


def post(url: str, body: bytes, headers: dict[str, str], config: Any) -> Outcome:
    """Send one attempt; never raises for what the network or the receiver does."""
    import requests

    started = time.monotonic()
    try:
        addresses.check_destination(url, allow_private=config["WEBHOOK_ALLOW_PRIVATE"])
        with requests.post(
            url,
            data=body,
            headers={**headers, "User-Agent": f"Deskgraph-Webhooks/{__version__}"},
            timeout=(config["WEBHOOK_CONNECT_TIMEOUT"], config["WEBHOOK_READ_TIMEOUT"]),
            allow_redirects=False,
            stream=True,
        ) as response:
            text = _first_bytes(response)
            status = response.status_code
    except addresses.RefusedAddress as refused:
        why = stored(refused.message, **refused.values)
        return Outcome(None, None, _ms(started), stored(N_("Refused: %(why)s"), why=why))
    except requests.RequestException as error:
        # The HTTP library's words stay as they are, after a message of ours.
        text = f"{type(error).__name__}: {error}"[:1800]
        failed = stored(N_("The receiver could not be reached: %(error)s"), error=text)
        return Outcome(None, None, _ms(started), failed)
    problem = None
    if 300 <= status < 400:
        problem = stored(N_("The receiver answered %(status)s (redirects are not followed)."),
                         status=status)  # fmt: skip
    elif not 200 <= status < 300:
        problem = stored(N_("The receiver answered %(status)s."), status=status)
    return Outcome(status, text, _ms(started), problem)


def _first_bytes(response: requests.Response) -> str:
    data = b""
    for chunk in response.iter_content(chunk_size=RESPONSE_KEPT):
        data += chunk
        if len(data) >= RESPONSE_KEPT:
            break
    return data[:RESPONSE_KEPT].decode(response.encoding or "utf-8", errors="replace")


def _ms(started: float) -> int:
    return round((time.monotonic() - started) * 1000)


@handler(DELIVER)
def deliver_webhook(payload: dict[str, Any]) -> None:
    """Send the delivery ``payload["id"]`` unless it succeeded or was given up.

    :raise DeliveryFailed: not taken this time (retried with backoff).
    :raise PermanentFailure: out of attempts, or the subscription was switched off.
    """
    delivery = db.session.scalar(
        select(WebhookDelivery)
        .where(WebhookDelivery.id == payload["id"])
        .with_for_update()  # the same delivery sent twice at once (a retry, a button): waits
    )
    if delivery is None or delivery.state in (DeliveryState.SUCCEEDED, DeliveryState.DEAD):
        return
    subscription = delivery.subscription
    if not subscription.enabled:
        delivery.state = DeliveryState.DEAD
        delivery.error, delivery.error_message = SWITCHED_OFF, stored(SWITCHED_OFF)
        return
    now = utc_now()
    body = delivery.body.encode()
    try:
        secret = secret_of(subscription)
    except sealing.Unreadable:
        delivery.state = DeliveryState.DEAD
        delivery.error, delivery.error_message = UNREADABLE_SECRET, stored(UNREADABLE_SECRET)
        db.session.commit()  # the outbox rolls back what a failing handler did: keep the log
        raise PermanentFailure(UNREADABLE_SECRET) from None
    headers = signing.headers(secret, delivery.event, delivery.uid, int(now.timestamp()), body)
    outcome = post(subscription.url, body, headers, current_app.config)
    delivery.attempts += 1
    delivery.attempted_at = now
    delivery.response_status = outcome.status
    delivery.response_body = outcome.body
    delivery.duration_ms = outcome.duration_ms
    delivery.error = outcome.error
    delivery.error_message = dict(outcome.problem) if outcome.problem else None
    if outcome.ok:
        delivery.state, delivery.delivered_at = DeliveryState.SUCCEEDED, now
        _set_failures(subscription.id, 0)
        return  # committed by the outbox with its message marked done
    switched_off = _count_failure(subscription.id, now)
    series = delivery.attempts - int(payload.get("attempts_before", 0))
    given_up = switched_off or series >= MAX_ATTEMPTS
    delivery.state = DeliveryState.DEAD if given_up else DeliveryState.FAILED
    reason = outcome.error or "failed"
    db.session.commit()  # the outbox rolls back what a failing handler did: keep the log
    if given_up:
        raise PermanentFailure(reason)
    raise DeliveryFailed(reason)


_SUBSCRIPTIONS = cast(Table, WebhookSubscription.__table__)


def _set_failures(subscription_id: int, failures: int) -> None:
    # A plain UPDATE: the admin's edit form keeps its version, and concurrent deliveries of
    # one subscription count without losing one another's failures.
    db.session.execute(
        update(_SUBSCRIPTIONS)
        .where(_SUBSCRIPTIONS.c.id == subscription_id)
        .values(failures=failures)
    )


def _count_failure(subscription_id: int, now: Any) -> bool:
    """One more failure; switch the subscription off at the limit. Whether it is off."""
    limit = current_app.config["WEBHOOK_MAX_FAILURES"]
    switched_off = stored(
        N_("Switched off after %(limit)s failed deliveries in a row."), limit=limit
    )
    columns = _SUBSCRIPTIONS.c
    db.session.execute(
        update(_SUBSCRIPTIONS)
        .where(columns.id == subscription_id)
        .values(failures=columns.failures + 1)
    )
    db.session.execute(
        update(_SUBSCRIPTIONS)
        .where(columns.id == subscription_id, columns.enabled, columns.failures >= limit)
        .values(
            enabled=False,
            disabled_at=now,
            disabled_reason=english(switched_off),
            disabled_message=switched_off,
        )
    )
    enabled = db.session.scalar(select(columns.enabled).where(columns.id == subscription_id))
    return not enabled
