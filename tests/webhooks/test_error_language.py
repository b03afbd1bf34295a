"""A delivery's error is stored as a message and read in the admin's language; the English
stays in ``error`` (logs, the API), and errors stored before still show."""

from __future__ import annotations

from app.webhooks.models import DeliveryState
from tests.redis_server import private_redis  # noqa: F401  (fixture)
from tests.webhooks.receiver import receiver  # noqa: F401  (fixture)
from tests.webhooks.test_deliveries import deliveries, people, report, subscribe  # noqa: F401


def test_the_admin_reads_a_delivery_error_in_their_language(
    db,
    client,
    people,  # noqa: F811
    subscribe,  # noqa: F811
    receiver,  # noqa: F811
):
    subscription = subscribe(receiver.url)
    receiver.answers = [302]
    report(db, people[1])
    [delivery] = deliveries(db)
    assert delivery.state == DeliveryState.FAILED
    assert delivery.error == "The receiver answered 302 (redirects are not followed)."
    admin = people[0]
    admin.language = "sv"
    db.session.commit()
    client.login(admin.username)
    base = f"/admin/webhooks/{subscription.id}"
    swedish = "Mottagaren svarade 302 (omdirigeringar följs inte)."
    assert swedish in client.get(f"{base}/deliveries/{delivery.id}").get_data(as_text=True)
    assert swedish in client.get(base).get_data(as_text=True)
    admin.language = "en"
    delivery.error_message = None  # an error stored before messages: its text as it is
    delivery.error = "Old <error>"
    db.session.commit()
    page = client.get(f"{base}/deliveries/{delivery.id}").get_data(as_text=True)
    assert "Old &lt;error&gt;" in page


def test_the_admin_reads_why_a_subscription_was_switched_off_in_their_language(
    app,
    db,
    client,
    people,  # noqa: F811
    subscribe,  # noqa: F811
    receiver,  # noqa: F811
    monkeypatch,
):
    monkeypatch.setitem(app.config, "WEBHOOK_MAX_FAILURES", 1)
    subscription = subscribe(receiver.url)
    receiver.answers = [503]
    report(db, people[1])
    db.session.refresh(subscription)
    assert not subscription.enabled
    assert subscription.disabled_reason == "Switched off after 1 failed deliveries in a row."
    admin = people[0]
    client.login(admin.username)
    base = f"/admin/webhooks/{subscription.id}"
    swedish = "Avstängd efter 1 misslyckade leveranser i rad."
    english = "Switched off after 1 failed deliveries in a row."
    for language, shown, hidden in (("sv", swedish, english), ("en", english, swedish)):
        admin.language = language
        db.session.commit()
        for page in (client.get(base), client.get("/admin/webhooks/")):
            assert shown in page.get_data(as_text=True)
            assert hidden not in page.get_data(as_text=True)

    subscription.disabled_message = None  # switched off before messages: its text as it is
    subscription.disabled_reason = "Old <reason>"
    admin.language = "sv"
    db.session.commit()
    assert "Old &lt;reason&gt;" in client.get(base).get_data(as_text=True)
    assert "Old &lt;reason&gt;" in client.get("/admin/webhooks/").get_data(as_text=True)


def test_the_admin_reads_a_switch_off_by_hand_in_their_language(
    db,
    client,
    people,  # noqa: F811
    subscribe,  # noqa: F811
    receiver,  # noqa: F811
):
    subscription = subscribe(receiver.url)
    admin = people[0]
    admin.language = "sv"
    db.session.commit()
    client.login(admin.username)
    base = f"/admin/webhooks/{subscription.id}"
    assert client.post(f"{base}/disable").status_code == 302
    db.session.refresh(subscription)
    assert subscription.disabled_reason == "Switched off by an administrator."
    assert "Avstängd av en administratör." in client.get(base).get_data(as_text=True)
    admin.language = "en"
    db.session.commit()
    assert "Switched off by an administrator." in client.get(base).get_data(as_text=True)
