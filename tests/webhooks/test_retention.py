"""Webhook secrets sealed at rest, and the delivery log's retention: a secret is never stored
in clear (existing ones are sealed by the migration), a secret sealed under another key stops
its deliveries with a reason; sent and given-up deliveries are purged after the retention,
those still being retried are kept."""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from app.timeutils import utc_now
from app.webhooks import sealing
from app.webhooks import services as webhooks
from app.webhooks.delivery import UNREADABLE_SECRET
from app.webhooks.models import DeliveryState, WebhookDelivery, WebhookSubscription
from tests.conftest import build_app
from tests.webhooks.receiver import receiver  # noqa: F401  (fixture)
from tests.webhooks.test_deliveries import deliveries, people, report, subscribe  # noqa: F401

NOW = utc_now()


def test_a_secret_is_stored_sealed_and_opens_only_with_its_key(db, people, subscribe):  # noqa: F811
    subscription = subscribe("https://hooks.example.org/x")
    secret = webhooks.secret_of(subscription)
    assert secret.startswith("whsec_")
    assert secret not in subscription.sealed_secret
    with pytest.raises(sealing.Unreadable):
        sealing.unseal(subscription.sealed_secret, "another key of at least thirty-two chars")
    with pytest.raises(sealing.Unreadable):
        sealing.unseal(subscription.sealed_secret[:-4] + "AAAA", webhooks.sealing_key())


def test_a_secret_sealed_under_another_key_stops_deliveries_with_a_reason(
    app,
    db,
    people,  # noqa: F811
    subscribe,  # noqa: F811
    receiver,  # noqa: F811
    monkeypatch,
    caplog,
):
    subscribe(receiver.url)
    monkeypatch.setitem(app.config, "WEBHOOK_SECRETS_KEY", "a new key after a leak, 32+ chars")
    with caplog.at_level(logging.ERROR, logger="app.outbox"):
        report(db, people[1])
    assert receiver.received == []  # never signed with a wrong secret
    [delivery] = deliveries(db)
    assert (delivery.state, delivery.error) == (DeliveryState.DEAD, UNREADABLE_SECRET)


def _delivery(db, subscription, state: DeliveryState, age: timedelta) -> int:
    row = WebhookDelivery(
        uid=str(uuid.uuid4()),
        subscription_id=subscription.id,
        event="incident.created",
        body="{}",
        state=state,
        created_at=NOW - age,
    )
    db.session.add(row)
    db.session.flush()
    return row.id


@pytest.fixture
def log(db, subscribe):  # noqa: F811
    """Deliveries of every state, 40 days old and 1 day old, under the default 30 days."""
    subscription = subscribe("https://hooks.example.org/x")
    made = {
        (state, days): _delivery(db, subscription, state, timedelta(days=days))
        for state in DeliveryState
        for days in (40, 1)
    }
    db.session.commit()
    return made


def _left(db) -> set[int]:
    db.session.expire_all()
    return set(db.session.scalars(select(WebhookDelivery.id)))


def test_old_sent_and_given_up_deliveries_are_purged_and_retried_ones_kept(app, db, log):
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["webhooks", "purge", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert dry.output.strip() == "2 webhook deliveries older than 30 days would be purged"
    assert _left(db) >= set(log.values())
    done = runner.invoke(args=["webhooks", "purge"])
    assert done.output.strip() == "2 webhook deliveries older than 30 days purged"
    gone = {log[(DeliveryState.SUCCEEDED, 40)], log[(DeliveryState.DEAD, 40)]}
    assert _left(db) & set(log.values()) == set(log.values()) - gone
    shorter = runner.invoke(args=["webhooks", "purge", "--days", "2"]).output.strip()
    assert shorter == "0 webhook deliveries older than 2 days purged"  # 1 day old: not yet
    assert runner.invoke(args=["webhooks", "purge", "--days", "0"]).exit_code == 2


def test_the_daily_purge_uses_the_retention_setting(app, db, log, monkeypatch):
    monkeypatch.setitem(app.config, "PURGE_WEBHOOK_DELIVERIES_DAYS", 50)
    result = app.test_cli_runner().invoke(args=["deskgraph", "purge"])
    assert "0 sent webhook deliveries purged" in result.output
    monkeypatch.setitem(app.config, "PURGE_WEBHOOK_DELIVERIES_DAYS", 30)
    result = app.test_cli_runner().invoke(args=["deskgraph", "purge"])
    assert "2 sent webhook deliveries purged" in result.output
    assert log[(DeliveryState.PENDING, 40)] in _left(db)
    assert log[(DeliveryState.FAILED, 40)] in _left(db)


BEFORE = "7c2e5b9a4d13"  # the revision before the secrets were sealed
INSERT = (
    "INSERT INTO webhook_subscriptions (id, name, url, secret, event_types, ticket_kinds,"
    " group_ids, service_ids, work_notes, enabled, failures, version, created_at, updated_at)"
    " VALUES (7, 'Chat', 'https://hooks.example.org/x', :s, '[]', '[]', '[]', '[]', false,"
    " true, 0, 1, :t, :t)"
)


def test_the_migration_seals_existing_secrets_and_the_downgrade_opens_them(
    fresh_database_url, tmp_path
):
    from flask_migrate import downgrade, upgrade

    from app.extensions import db

    app = build_app(fresh_database_url, tmp_path / "instance")
    with app.app_context():
        upgrade(revision=BEFORE)
        with db.engine.begin() as connection:
            connection.execute(text(INSERT), {"s": "whsec_kept-from-before", "t": NOW})
        upgrade()
        sealed = db.session.scalar(select(WebhookSubscription.sealed_secret))
        assert "kept-from-before" not in sealed
        assert sealing.unseal(sealed, app.config["SECRET_KEY"]) == "whsec_kept-from-before"
        db.session.remove()
        downgrade(revision=BEFORE)
        with db.engine.connect() as connection:
            clear = connection.execute(text("SELECT secret FROM webhook_subscriptions"))
            assert clear.scalar_one() == "whsec_kept-from-before"
        upgrade()
        db.engine.dispose()
