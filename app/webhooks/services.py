"""Webhook subscriptions (the administrators' side) and the fan-out of committed ticket
events into deliveries. Services flush, never commit."""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, exists, select

from app import audit
from app.auth.models import Group, User
from app.db import bulk
from app.errors import Invalid
from app.extensions import db
from app.i18n import N_
from app.i18n.stored import english, stored
from app.incidents.models import incident_cis
from app.outbox import enqueue, handler
from app.tickets.models import JournalEntry, Ticket, TicketEvent
from app.timeutils import utc_now
from app.webhooks import addresses, sealing, vocabulary
from app.webhooks.models import DeliveryState, WebhookDelivery, WebhookSubscription
from app.webhooks.payloads import event_body, ping_body

FAN_OUT = "webhooks.fan_out"
DELIVER = "webhooks.deliver"
SECRET_PREFIX = "whsec_"

FILTER_FIELDS = ("event_types", "ticket_kinds", "group_ids", "service_ids")


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def sealing_key() -> str:
    """The setting the secrets' key is derived from: ``WEBHOOK_SECRETS_KEY`` when set, else
    ``SECRET_KEY``."""
    return current_app.config.get("WEBHOOK_SECRETS_KEY") or current_app.config["SECRET_KEY"]


def secret_of(subscription: WebhookSubscription) -> str:
    """The subscription's signing secret, unsealed.

    :raise sealing.Unreadable: it was sealed under another key (the setting changed): an
        administrator makes a new secret.
    """
    return sealing.unseal(subscription.sealed_secret, sealing_key())


def _set_new_secret(subscription: WebhookSubscription) -> str:
    secret = new_secret()
    subscription.sealed_secret = sealing.seal(secret, sealing_key())
    return secret


def _checked(
    *,
    name: str,
    url: str,
    event_types: Iterable[str],
    ticket_kinds: Iterable[str],
    group_ids: Iterable[int],
    service_ids: Iterable[int],
) -> dict[str, Any]:
    """The subscription's fields, cleaned. :raise Invalid: a field breaks a rule."""
    errors: dict[str, str] = {}
    name, url = name.strip(), url.strip()
    if not name:
        errors["name"] = _("Give the subscription a name.")
    try:
        addresses.check_url(url, allow_private=current_app.config["WEBHOOK_ALLOW_PRIVATE"])
    except addresses.RefusedAddress as refused:
        errors["url"] = _(refused.message, **refused.values)
    types, kinds = sorted(set(event_types)), sorted(set(ticket_kinds))
    if bad := vocabulary.unknown(types, vocabulary.EVENT_TYPES):
        errors["event_types"] = _("Unknown event kind: %(kinds)s.", kinds=", ".join(bad))
    if bad := vocabulary.unknown(kinds, vocabulary.TICKET_KINDS):
        errors["ticket_kinds"] = _("Unknown ticket kind: %(kinds)s.", kinds=", ".join(bad))
    groups, services = sorted(set(group_ids)), sorted(set(service_ids))
    if groups and len(_existing(Group, groups)) != len(groups):
        errors["group_ids"] = _("One of the groups does not exist.")
    if services and len(_existing_cis(services)) != len(services):
        errors["service_ids"] = _("One of the services does not exist.")
    if errors:
        raise Invalid(errors)
    return {
        "name": name,
        "url": url,
        "event_types": types,
        "ticket_kinds": kinds,
        "group_ids": groups,
        "service_ids": services,
    }


def _existing(model: Any, ids: Sequence[int]) -> list[int]:
    return list(db.session.scalars(select(model.id).where(model.id.in_(ids))))


def _existing_cis(ids: Sequence[int]) -> list[int]:
    from app.cmdb.models import ConfigurationItem

    return _existing(ConfigurationItem, ids)


def create_subscription(
    *, actor: Any, work_notes: bool = False, **fields: Any
) -> WebhookSubscription:
    """Subscribe a URL to the chosen events, with a new secret (flushes).

    :raise Invalid: a bad URL, an unknown event or ticket kind, a group or service that does
        not exist.
    """
    values = _checked(**fields)
    subscription = WebhookSubscription(
        **values, work_notes=work_notes, created_by_id=getattr(actor, "id", None)
    )
    _set_new_secret(subscription)
    db.session.add(subscription)
    db.session.flush()
    audit.record(actor, "webhook", subscription.id, "created", {**values, "work_notes": work_notes})
    return subscription


def update_subscription(
    subscription: WebhookSubscription, *, actor: Any, work_notes: bool = False, **fields: Any
) -> dict[str, list[Any]]:
    """Change a subscription's name, URL and filters (flushes); the changed fields.

    :raise Invalid: as :func:`create_subscription`.
    """
    values = {**_checked(**fields), "work_notes": work_notes}
    before = {key: getattr(subscription, key) for key in values}
    for key, value in values.items():
        setattr(subscription, key, value)
    db.session.flush()
    changes = audit.diff(before, values)
    if changes:
        audit.record(actor, "webhook", subscription.id, "updated", changes)
    return changes


def rotate_secret(subscription: WebhookSubscription, *, actor: Any) -> str:
    """Give the subscription a new secret (the old one stops signing at once); returns it
    (the only time it is shown)."""
    secret = _set_new_secret(subscription)
    db.session.flush()
    audit.record(actor, "webhook", subscription.id, "secret_rotated", {})
    return secret


def set_enabled(subscription: WebhookSubscription, enabled: bool, *, actor: Any) -> None:
    """Switch a subscription on (its failure count starts again) or off (flushes)."""
    if subscription.enabled == enabled:
        return
    subscription.enabled = enabled
    subscription.failures = 0
    by_hand = stored(N_("Switched off by an administrator."))
    subscription.disabled_reason = None if enabled else english(by_hand)
    subscription.disabled_message = None if enabled else by_hand
    subscription.disabled_at = None if enabled else utc_now()
    db.session.flush()
    audit.record(actor, "webhook", subscription.id, "enabled" if enabled else "disabled", {})


def send_test(subscription: WebhookSubscription, *, actor: Any) -> WebhookDelivery:
    """Queue a ``ping`` delivery to the subscription, sent after commit (flushes).

    :raise Invalid: the subscription is switched off.
    """
    if not subscription.enabled:
        raise Invalid({"delivery": _("The subscription is switched off: enable it first.")})
    uid = str(uuid.uuid4())
    delivery = WebhookDelivery(
        uid=uid,
        subscription_id=subscription.id,
        event=vocabulary.PING,
        body=_dumps(ping_body(uid, subscription, actor, utc_now())),
    )
    db.session.add(delivery)
    db.session.flush()
    enqueue(DELIVER, {"id": delivery.id})
    return delivery


def redeliver(delivery: WebhookDelivery, *, actor: Any) -> None:
    """Send a delivery that was given up again, with the same id and body, and as many
    attempts as a new one (flushes).

    :raise Invalid: it succeeded already (a receiver has it), it is still being retried, or
        its subscription is off.
    """
    if delivery.state == DeliveryState.SUCCEEDED:
        raise Invalid({"delivery": _("This delivery succeeded: it is never sent twice.")})
    if delivery.state != DeliveryState.DEAD:
        raise Invalid({"delivery": _("This delivery is still being retried.")})
    if not delivery.subscription.enabled:
        raise Invalid({"delivery": _("The subscription is switched off: enable it first.")})
    delivery.state = DeliveryState.PENDING
    db.session.flush()
    # Attempts before this one do not count against the new series.
    enqueue(DELIVER, {"id": delivery.id, "attempts_before": delivery.attempts})
    audit.record(actor, "webhook", delivery.subscription_id, "redelivered", {"uid": delivery.uid})


# "Is any subscription switched on?", asked by the statement that queues an event's fan-out.
ANY_ENABLED = exists().where(WebhookSubscription.enabled)


@handler(FAN_OUT)
def _deliver_fan_out(payload: dict[str, Any]) -> None:
    fan_out([int(i) for i in payload.get("events", [])])


def fan_out(event_ids: Sequence[int]) -> list[WebhookDelivery]:
    """After the events' commit: a delivery per (event, matching enabled subscription) that
    does not exist yet, each queued as its own outbox message. Idempotent."""
    subscriptions = list(
        db.session.scalars(select(WebhookSubscription).where(WebhookSubscription.enabled))
    )
    if not subscriptions or not event_ids:
        return []
    events = list(
        db.session.scalars(
            select(TicketEvent).where(TicketEvent.id.in_(event_ids)).order_by(TicketEvent.id)
        )
    )
    done = set(
        db.session.execute(
            select(WebhookDelivery.subscription_id, WebhookDelivery.ticket_event_id).where(
                WebhookDelivery.ticket_event_id.in_([e.id for e in events])
            )
        ).all()
    )
    filters = {s.id: _filter_of(s) for s in subscriptions}
    named = _service_names({i for f in filters.values() for i in f.service_ids})
    created: list[WebhookDelivery] = []
    for event in events:
        ticket = db.session.get(Ticket, event.ticket_id)
        if ticket is None:
            continue
        entry = _comment_of(event)
        occurrence = vocabulary.Occurrence(
            event_type=event.type,
            ticket_kind=ticket.kind.value,
            group_id=ticket.assignment_group_id,
            service_ids=_services_of(ticket, named),
            internal=entry is not None and not entry.is_public,
        )
        hearing = [
            s
            for s in subscriptions
            if (s.id, event.id) not in done and vocabulary.matches(filters[s.id], occurrence)
        ]
        if not hearing:
            continue
        body = event_body("", event, ticket, entry, _actor(event))  # once per event
        for subscription in hearing:
            uid = str(uuid.uuid4())
            delivery = WebhookDelivery(
                uid=uid,
                subscription_id=subscription.id,
                ticket_event_id=event.id,
                event=body["event"],
                body=_dumps({**body, "delivery": uid}),
            )
            db.session.add(delivery)
            created.append(delivery)
    db.session.flush()
    for delivery in created:
        enqueue(DELIVER, {"id": delivery.id})
    return created


def _filter_of(subscription: WebhookSubscription) -> vocabulary.Filter:
    return vocabulary.Filter(
        event_types=frozenset(subscription.event_types or ()),
        ticket_kinds=frozenset(subscription.ticket_kinds or ()),
        group_ids=frozenset(subscription.group_ids or ()),
        service_ids=frozenset(subscription.service_ids or ()),
        work_notes=subscription.work_notes,
    )


def _comment_of(event: TicketEvent) -> JournalEntry | None:
    entry_id = (event.data or {}).get("entry_id") if event.type == "commented" else None
    return db.session.get(JournalEntry, entry_id) if entry_id else None


def _service_names(ids: set[int]) -> dict[str, set[int]]:
    """The lower-cased names of the services some subscription chose, with their CI ids."""
    from app.cmdb.models import ConfigurationItem

    names: dict[str, set[int]] = {}
    if ids:
        rows = db.session.execute(
            select(ConfigurationItem.id, ConfigurationItem.name).where(
                ConfigurationItem.id.in_(ids)
            )
        )
        for ci_id, name in rows:
            names.setdefault(name.lower(), set()).add(ci_id)
    return names


def _services_of(ticket: Ticket, named: dict[str, set[int]]) -> frozenset[int]:
    """The CIs an incident is linked to, and the chosen services its "affected service"
    names (an agent may type the service without linking its CI)."""
    linked = set(
        db.session.scalars(
            select(incident_cis.c.ci_id).where(incident_cis.c.incident_id == ticket.id)
        )
    )
    service = getattr(ticket, "affected_service", None)
    return frozenset(linked | named.get((service or "").lower(), set()))


def _actor(event: TicketEvent) -> User | None:
    return db.session.get(User, event.actor_id) if event.actor_id else None


def _dumps(body: dict[str, Any]) -> str:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False, default=str)


#: Deliveries the log may forget: sent, or given up. Pending and failed ones are still being
#: retried by the outbox (and redelivering a dead one makes it pending again).
SPENT = (DeliveryState.SUCCEEDED, DeliveryState.DEAD)


def purge_deliveries(before: datetime) -> int:
    """Delete the deliveries made before ``before`` that were sent or given up (flushes); how
    many went. A receiver that deduplicates by ``Deskgraph-Delivery`` keeps its own record."""
    return bulk(
        db.session,
        delete(WebhookDelivery).where(
            WebhookDelivery.state.in_(SPENT), WebhookDelivery.created_at < before
        ),
    )
