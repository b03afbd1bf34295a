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
