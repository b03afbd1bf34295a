"""Ticket events reach subscribed receivers on loopback after commit, signed; failures are
retried through the outbox with the same delivery id, a subscription that keeps failing is
switched off, a delivery that succeeded is never sent again, and with Redis down deliveries
wait in the outbox."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.errors import Invalid
from app.incidents import services as incidents
from app.outbox import deliver_due
from app.outbox.models import OutboxMessage, OutboxState
from app.tickets.models import TicketEvent
from app.timeutils import utc_now
from app.webhooks import services as webhooks
from app.webhooks.delivery import deliver_webhook
from app.webhooks.models import DeliveryState, WebhookDelivery, WebhookSubscription
from app.webhooks.signing import verify
from tests.conftest import count_queries
from tests.redis_server import private_redis  # noqa: F401  (fixture)
from tests.webhooks.receiver import receiver  # noqa: F401  (fixture)


@pytest.fixture
def people(make_user):
    return make_user("whadmin", roles=["admin"]), make_user("kim", email="kim@example.org")


@pytest.fixture
def subscribe(db, people):
    def make(url: str, **fields) -> WebhookSubscription:
        values = {
            "name": fields.pop("name", "Chat bot"),
            "url": url,
            "event_types": [],
            "ticket_kinds": [],
            "group_ids": [],
            "service_ids": [],
            **fields,
        }
        subscription = webhooks.create_subscription(actor=people[0], **values)
        db.session.commit()
        return subscription

    return make


def report(db, caller, text="The VPN drops every hour", **fields):
    incident = incidents.open_incident(
        caller=caller, opened_by=caller, short_description=text, **fields
    )
    db.session.commit()
    return incident


def deliveries(db) -> list[WebhookDelivery]:
    db.session.expire_all()
    return list(db.session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))


def test_a_new_incident_reaches_the_receiver_signed_after_commit(db, people, subscribe, receiver):  # noqa: F811
    subscription = subscribe(receiver.url)
    incident = incidents.open_incident(
        caller=people[1], opened_by=people[1], short_description="Printer on fire"
    )
    db.session.flush()
    assert receiver.received == []  # nothing leaves inside the transaction
    db.session.commit()

    [got] = receiver.received
    delivery_id = verify(
        webhooks.secret_of(subscription), got.headers, got.body, now=utc_now().timestamp()
    )
    assert got.headers["Deskgraph-Event"] == "incident.created"
    assert got.headers["Content-Type"] == "application/json"
    body = json.loads(got.body)
    assert body["event"] == "incident.created"
    assert body["delivery"] == delivery_id
    assert body["ticket"]["number"] == incident.number
    assert body["ticket"]["short_description"] == "Printer on fire"
    assert body["ticket"]["caller"]["username"] == "kim"
    assert body["ticket"]["url"].endswith(f"/incidents/{incident.number}")
    assert body["actor"]["username"] == "kim"
    [logged] = deliveries(db)
    assert (logged.uid, logged.state, logged.response_status) == (
        delivery_id,
        DeliveryState.SUCCEEDED,
        200,
    )
    assert logged.response_body == "status 200 from the test receiver"


def test_a_rollback_sends_nothing(db, people, subscribe, receiver):  # noqa: F811
    subscribe(receiver.url)
    incidents.open_incident(caller=people[1], opened_by=people[1], short_description="Oops")
    db.session.rollback()
    db.session.commit()
    assert receiver.received == []
    assert deliveries(db) == []


def test_the_fan_out_is_queued_only_while_a_subscription_is_on(db, people, subscribe, receiver):  # noqa: F811
    def fan_outs() -> int:
        kind = OutboxMessage.kind == webhooks.FAN_OUT
        return db.session.scalar(select(func.count()).select_from(OutboxMessage).where(kind))

    report(db, people[1], "Before any subscription")
    assert fan_outs() == 0
    subscription = subscribe(receiver.url)
    webhooks.set_enabled(subscription, False, actor=people[0])
    db.session.commit()
    report(db, people[1], "While it is off")
    assert fan_outs() == 0
    webhooks.set_enabled(subscription, True, actor=people[0])
    db.session.commit()
    incident = report(db, people[1], "While it is on")
    assert fan_outs() == 1
    events = select(TicketEvent.id).where(TicketEvent.ticket_id == incident.id)
    sent = {d.ticket_event_id for d in deliveries(db)}
    assert sent
    assert sent <= set(db.session.scalars(events))


def fan_outs_since(db, last_id: int) -> list[tuple[str, OutboxState]]:
    db.session.expire_all()
    found = db.session.execute(
        select(OutboxMessage.kind, OutboxMessage.state)
        .where(OutboxMessage.id > last_id, OutboxMessage.kind.like("%.fan_out"))
        .order_by(OutboxMessage.kind)
    )
    return [tuple(row) for row in found]


def last_message_id(db) -> int:
    return db.session.scalar(select(func.coalesce(func.max(OutboxMessage.id), 0)))


def written_before_delivery(statements: list[str]) -> list[str]:
    """The commit's statements that insert outbox rows (on PostgreSQL with the commit's other
    inserts, see ``app.commit_writes``), before the first delivery claims one."""
    claimed = [i for i, s in enumerate(statements) if s.startswith("UPDATE outbox_messages")]
    before = statements[: claimed[0] if claimed else None]
    return [s for s in before if "INSERT INTO outbox_messages" in s]


def test_a_commit_writes_its_notification_and_webhook_fan_outs_in_one_statement(
    db,
    people,
    subscribe,
    make_user,
    receiver,  # noqa: F811
):
    """The notifications' and the webhooks' hooks each ask for a fan-out before the commit;
    the outbox writes both in one statement, and both are delivered after the commit."""
    from app.notifications.models import Notification
    from app.tickets import services as tickets

    subscribe(receiver.url)
    incident = report(db, people[1], "Before the reply")
    watcher = make_user("wanda")
    tickets.watch(incident, watcher)
    db.session.commit()
    last = last_message_id(db)
    with count_queries() as committed:
        incidents.comment(incident, author=people[0], body="On it.", public=True)
        db.session.commit()
    (written,) = written_before_delivery(committed)
    assert "UNION ALL" in written
    assert fan_outs_since(db, last) == [
        ("notifications.fan_out", OutboxState.DONE),
        ("webhooks.fan_out", OutboxState.DONE),
    ]
    assert receiver.received[-1].headers["Deskgraph-Event"] == "incident.commented"
    told = select(Notification.kind).where(Notification.recipient_id == watcher.id)
    assert db.session.scalars(told).all() == ["public_reply"]


def test_without_a_subscription_on_only_the_notifications_fan_out_is_written(
    db,
    people,
    subscribe,
    receiver,  # noqa: F811
):
    subscription = subscribe(receiver.url)
    webhooks.set_enabled(subscription, False, actor=people[0])
    db.session.commit()
    last = last_message_id(db)
    with count_queries() as committed:
        report(db, people[1], "Nobody listens")
    assert len(written_before_delivery(committed)) == 1
    assert fan_outs_since(db, last) == [("notifications.fan_out", OutboxState.DONE)]
    assert receiver.received == []


def test_a_bulk_load_of_history_asks_for_neither_fan_out(db, people, subscribe, receiver):  # noqa: F811
    from app.sla.hooks import settle_on_commit

    subscribe(receiver.url)
    last = last_message_id(db)
    settle_on_commit(utc_now())
    with count_queries() as committed:
        report(db, people[1], "Loaded from history")
    assert written_before_delivery(committed) == []
    assert fan_outs_since(db, last) == []
    assert receiver.received == []


def test_filters_pick_the_subscriptions_an_event_reaches(db, people, subscribe, receiver):  # noqa: F811
    subscribe(receiver.url + "?all", name="Everything")
    subscribe(receiver.url + "?states", name="States only", event_types=["state_changed"])
    subscribe(receiver.url + "?tasks", name="Tasks only", ticket_kinds=["catalog_task"])
    report(db, people[1])
    assert [r.path for r in receiver.received] == ["/hook?all"]


def test_work_notes_reach_only_the_subscriptions_that_ask_for_them(
    db,
    people,
    subscribe,
    receiver,  # noqa: F811
):
    subscribe(receiver.url + "?public", name="Public", event_types=["commented"])
    subscribe(receiver.url + "?staff", name="Staff", event_types=["commented"], work_notes=True)
    incident = report(db, people[1])
    agent = people[0]
    incidents.comment(incident, author=agent, body="Rebooted the VPN box", public=False)
    db.session.commit()
    incidents.comment(incident, author=agent, body="Please try again", public=True)
    db.session.commit()
    heard = [(r.path, json.loads(r.body)["comment"]["body"]) for r in receiver.received]
    assert heard == [
        ("/hook?staff", "Rebooted the VPN box"),
        ("/hook?public", "Please try again"),
        ("/hook?staff", "Please try again"),
    ]


def test_a_failed_delivery_is_retried_with_the_same_id_until_it_succeeds(
    db,
    people,
    subscribe,
    receiver,  # noqa: F811
):
    subscription = subscribe(receiver.url)
    receiver.answers = [500]
    report(db, people[1])
    [delivery] = deliveries(db)
    assert (delivery.state, delivery.attempts, delivery.response_status) == (
        DeliveryState.FAILED,
        1,
        500,
    )
    assert "answered 500" in delivery.error
    with pytest.raises(Invalid, match="still being retried"):
        webhooks.redeliver(delivery, actor=people[0])
    message = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "webhooks.deliver")
    ).one()
    assert message.state == OutboxState.PENDING
    assert deliver_due() == 0  # backoff: not due yet
    assert deliver_due(message.next_attempt_at) == 1

    [delivery] = deliveries(db)
    assert (delivery.state, delivery.attempts, delivery.response_status) == (
        DeliveryState.SUCCEEDED,
        2,
        200,
    )
    ids = {r.headers["Deskgraph-Delivery"] for r in receiver.received}
    assert ids == {delivery.uid}  # the receiver can drop the second if it saw the first
    assert len(receiver.received) == 2
    db.session.refresh(subscription)
    assert subscription.failures == 0


def test_a_delivery_that_succeeded_is_never_sent_again(db, people, subscribe, receiver):  # noqa: F811
    subscribe(receiver.url)
    report(db, people[1])
    [delivery] = deliveries(db)
    deliver_webhook({"id": delivery.id})  # the outbox message again (a lost ack, a retry)
    db.session.commit()
    assert len(receiver.received) == 1
    with pytest.raises(Invalid, match="never sent twice"):
        webhooks.redeliver(delivery, actor=people[0])


def test_repeated_failures_switch_the_subscription_off(
    app,
    db,
    people,
    subscribe,
    receiver,  # noqa: F811
    monkeypatch,
    caplog,
):
    monkeypatch.setitem(app.config, "WEBHOOK_MAX_FAILURES", 3)
    subscription = subscribe(receiver.url)
    receiver.always = 503
    with caplog.at_level(logging.ERROR, logger="app.outbox"):
        report(db, people[1], "First")
        report(db, people[1], "Second")
        now = utc_now()
        for _ in range(3):
            now += timedelta(hours=1)
            deliver_due(now)
    db.session.refresh(subscription)
    assert not subscription.enabled
    assert subscription.disabled_reason == "Switched off after 3 failed deliveries in a row."
    assert len(receiver.received) == 3  # nothing after the third failure
    assert {d.state for d in deliveries(db)} == {DeliveryState.DEAD}

    report(db, people[1], "While it is off")
    assert len(receiver.received) == 3
    assert len(deliveries(db)) == 2

    webhooks.set_enabled(subscription, True, actor=people[0])
    db.session.commit()
    receiver.always = None
    report(db, people[1], "After enabling")
    assert len(receiver.received) == 4
    db.session.refresh(subscription)
    assert (subscription.enabled, subscription.failures) == (True, 0)

    # A given-up delivery is sent again on request, with its id, and succeeds this time.
    first = deliveries(db)[0]
    webhooks.redeliver(first, actor=people[0])
    db.session.commit()
    assert receiver.received[-1].headers["Deskgraph-Delivery"] == first.uid
    assert json.loads(receiver.received[-1].body)["ticket"]["short_description"] == "First"
    assert deliveries(db)[0].state == DeliveryState.SUCCEEDED


def test_a_redirect_is_not_followed_and_counts_as_a_failure(db, people, subscribe, receiver):  # noqa: F811
    subscribe(receiver.url)
    receiver.answers = [302]
    report(db, people[1])
    [delivery] = deliveries(db)
    assert delivery.state == DeliveryState.FAILED
    assert delivery.error == "The receiver answered 302 (redirects are not followed)."
    assert len(receiver.received) == 1


def test_an_unreachable_receiver_is_logged_and_retried(db, people, subscribe, receiver):  # noqa: F811
    url = receiver.url
    receiver.close()  # nobody listens there any more
    subscribe(url)
    report(db, people[1])
    [delivery] = deliveries(db)
    assert delivery.state == DeliveryState.FAILED
    assert delivery.response_status is None
    assert "ConnectionError" in delivery.error


def test_a_private_address_is_refused_at_delivery_when_not_allowed(
    app,
    db,
    people,
    subscribe,
    receiver,  # noqa: F811
    monkeypatch,
):
    subscribe(receiver.url.replace("127.0.0.1", "localhost"))
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOW_PRIVATE", False)
    report(db, people[1])
    [delivery] = deliveries(db)
    assert delivery.error.startswith("Refused: localhost resolves to")
    assert receiver.received == []


def test_with_redis_down_deliveries_wait_in_the_outbox(
    app,
    db,
    people,
    subscribe,
    receiver,  # noqa: F811
    monkeypatch,
    caplog,
):
    subscribe(receiver.url)
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")
    with caplog.at_level(logging.WARNING, logger="app.outbox"):
        report(db, people[1])
    assert receiver.received == []
    assert any("flask outbox run" in r.getMessage() for r in caplog.records)
    result = app.test_cli_runner().invoke(args=["outbox", "run", "--once"])
    assert result.exit_code == 0, result.output
    assert "0 pending, 0 dead" in result.output
    assert len(receiver.received) == 1
    assert json.loads(receiver.received[0].body)["event"] == "incident.created"


def test_the_test_delivery_is_a_signed_ping(db, people, subscribe, receiver):  # noqa: F811
    subscription = subscribe(receiver.url)
    webhooks.send_test(subscription, actor=people[0])
    db.session.commit()
    [got] = receiver.received
    verify(webhooks.secret_of(subscription), got.headers, got.body, now=utc_now().timestamp())
    assert got.headers["Deskgraph-Event"] == "ping"
    assert json.loads(got.body)["subscription"] == {"id": subscription.id, "name": "Chat bot"}


def test_a_service_filter_hears_incidents_linked_to_or_naming_the_service(
    db,
    people,
    subscribe,
    receiver,  # noqa: F811
    make_ci,
):
    mail = make_ci("Mail", "business_service")
    make_ci("Payroll", "business_service")
    subscribe(receiver.url, service_ids=[mail.id])
    report(db, people[1], "Linked to the mail service", ci_ids=[mail.id])
    report(db, people[1], "Naming the mail service", affected_service="mail")
    report(db, people[1], "About payroll", affected_service="Payroll")
    report(db, people[1], "About nothing in particular")
    heard = [json.loads(r.body)["ticket"]["short_description"] for r in receiver.received]
    assert heard == ["Linked to the mail service", "Naming the mail service"]


def test_with_redis_an_rq_worker_fans_out_and_delivers(
    app,
    db,
    people,
    subscribe,
    receiver,  # noqa: F811
    monkeypatch,
    private_redis,  # noqa: F811
):
    from redis import Redis
    from rq import SimpleWorker

    subscribe(receiver.url)
    connection = Redis.from_url(private_redis.url)
    monkeypatch.setitem(app.config, "REDIS_URL", private_redis.url)
    try:
        report(db, people[1])
        assert receiver.received == []  # queued, not sent by the committing request
        SimpleWorker(["outbox"], connection=connection).work(burst=True)
    finally:
        connection.connection_pool.disconnect()
    assert [r.headers["Deskgraph-Event"] for r in receiver.received] == ["incident.created"]
    assert [d.state for d in deliveries(db)] == [DeliveryState.SUCCEEDED]
