"""The administrators' webhook pages over HTTP: subscribing (the secret shown once), bad
input refused with 422 and nothing saved, the test delivery and its log line, enabling a
switched-off subscription, and who may see any of it."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app.cmdb.graph.vocabulary import Lifecycle
from app.webhooks import services
from app.webhooks.models import WebhookDelivery, WebhookSubscription
from tests.conftest import count_queries
from tests.webhooks.receiver import receiver  # noqa: F401  (fixture)


@pytest.fixture
def admin(client, make_user):
    make_user("whadmin", roles=["admin"])
    client.login("whadmin")
    return client


def form(url: str, **fields) -> dict:
    values = {
        "name": "Chat bot",
        "url": url,
        "event_types": ["created", "state_changed"],
        "ticket_kinds": ["incident"],
        "group_ids": [],
        "service_ids": [],
        "version": "",
    }
    values.update(fields)
    values.setdefault("submission_token", "t" + str(abs(hash(str(values)))))
    return values


def count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(WebhookSubscription))


def secret_shown(html: str) -> str | None:
    match = re.search(r'id="webhook-secret">(whsec_[^<]+)<', html)
    return match.group(1) if match else None


def test_an_admin_subscribes_a_url_and_sees_the_secret_once(admin, db, receiver):  # noqa: F811
    response = admin.post("/admin/webhooks/new", form(receiver.url))
    assert response.status_code == 302
    subscription = db.session.scalars(select(WebhookSubscription)).one()
    assert subscription.event_types == ["created", "state_changed"]
    assert subscription.ticket_kinds == ["incident"]
    page = admin.get(response.headers["Location"]).get_data(as_text=True)
    shown = secret_shown(page)
    assert shown == services.secret_of(subscription)
    assert shown not in subscription.sealed_secret  # stored sealed, never in clear
    again = admin.get(f"/admin/webhooks/{subscription.id}").get_data(as_text=True)
    assert secret_shown(again) is None
    assert "webhook-secret-state" in again
    assert "Reveal the secret" not in again
    # There is no way to show it again: only a new one.
    assert admin.post(f"/admin/webhooks/{subscription.id}/secret").status_code == 404


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"url": "ftp://example.org/hook"}, "must start with http:// or https://"),
        ({"url": "not a url"}, "must start with http:// or https://"),
        ({"url": ""}, "Enter the URL to send events to."),
        ({"event_types": ["created", "exploded"]}, "Unknown event kind: exploded."),
        ({"ticket_kinds": ["problem"]}, "Unknown ticket kind: problem."),
        ({"group_ids": ["999999"]}, "One of the groups does not exist."),
        ({"group_ids": ["abc"]}, "could not be coerced"),
        ({"name": ""}, "Give the subscription a name."),
    ],
)
def test_bad_input_is_refused_with_422_and_nothing_saved(admin, db, fields, message):
    response = admin.post("/admin/webhooks/new", {**form("https://hooks.example.org/x"), **fields})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert count(db) == 0


def test_a_private_address_is_refused_when_not_allowed(admin, app, db, monkeypatch):
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOW_PRIVATE", False)
    response = admin.post("/admin/webhooks/new", form("http://127.0.0.1:9000/hook"))
    assert response.status_code == 422
    assert "127.0.0.1 is a private address" in response.get_data(as_text=True)
    assert count(db) == 0


def test_the_test_button_sends_a_ping_and_the_log_shows_the_answer(admin, db, receiver):  # noqa: F811
    location = admin.post("/admin/webhooks/new", form(receiver.url)).headers["Location"]
    subscription_id = int(location.rstrip("/").rsplit("/", 1)[1])
    page = admin.get(location).get_data(as_text=True)
    token = re.search(r'name="submission_token" type="hidden" value="([^"]+)"', page)
    response = admin.post(
        f"/admin/webhooks/{subscription_id}/test", {"submission_token": token.group(1)}
    )
    assert response.status_code == 302
    assert [r.headers["Deskgraph-Event"] for r in receiver.received] == ["ping"]
    log = admin.get(location).get_data(as_text=True)
    assert '<td class="dg-response-status">200</td>' in log
    assert "status 200 from the test receiver" in log
    delivery = db.session.scalars(select(WebhookDelivery)).one()
    detail = admin.get(f"/admin/webhooks/{subscription_id}/deliveries/{delivery.id}")
    assert delivery.uid in detail.get_data(as_text=True)


def test_an_admin_enables_a_switched_off_subscription_again(admin, db):
    admin.post("/admin/webhooks/new", form("https://hooks.example.org/x"))
    subscription = db.session.scalars(select(WebhookSubscription)).one()
    subscription.enabled, subscription.failures = False, 10
    subscription.disabled_reason = "Switched off after 10 failed deliveries in a row."
    db.session.commit()
    page = admin.get(f"/admin/webhooks/{subscription.id}").get_data(as_text=True)
    assert "Switched off after 10 failed deliveries in a row." in page
    assert admin.post(f"/admin/webhooks/{subscription.id}/enable").status_code == 302
    db.session.refresh(subscription)
    assert (subscription.enabled, subscription.failures, subscription.disabled_reason) == (
        True,
        0,
        None,
    )


def test_a_stale_edit_is_refused_with_409(admin, db):
    admin.post("/admin/webhooks/new", form("https://hooks.example.org/x"))
    subscription = db.session.scalars(select(WebhookSubscription)).one()
    stale = form("https://hooks.example.org/new", version=str(subscription.version))
    assert admin.post(f"/admin/webhooks/{subscription.id}", stale).status_code == 302
    response = admin.post(
        f"/admin/webhooks/{subscription.id}", {**stale, "url": "https://b.example/"}
    )
    assert response.status_code == 409
    db.session.refresh(subscription)
    assert subscription.url == "https://hooks.example.org/new"


def test_a_rotated_secret_replaces_the_old_one(admin, db):
    admin.post("/admin/webhooks/new", form("https://hooks.example.org/x"))
    subscription = db.session.scalars(select(WebhookSubscription)).one()
    old = services.secret_of(subscription)
    response = admin.post(f"/admin/webhooks/{subscription.id}/rotate")
    page = admin.get(response.headers["Location"]).get_data(as_text=True)
    db.session.refresh(subscription)
    assert services.secret_of(subscription) != old
    assert secret_shown(page) == services.secret_of(subscription)


def test_only_admins_see_webhooks(client, db, make_user):
    make_user("agent1", roles=["agent"])
    assert client.get("/admin/webhooks/").status_code == 302  # to sign in
    client.login("agent1")
    assert client.get("/admin/webhooks/").status_code == 403
    assert client.post("/admin/webhooks/new", form("https://x.example/")).status_code == 403
    assert count(db) == 0


def test_unknown_subscriptions_and_deliveries_are_404(admin, db):
    assert admin.get("/admin/webhooks/999999").status_code == 404
    admin.post("/admin/webhooks/new", form("https://hooks.example.org/x"))
    subscription = db.session.scalars(select(WebhookSubscription)).one()
    assert admin.get(f"/admin/webhooks/{subscription.id}/deliveries/999999").status_code == 404


def test_a_post_without_csrf_changes_nothing(admin, db):
    response = admin.post("/admin/webhooks/new", form("https://x.example/"), csrf=False)
    assert response.status_code == 400
    assert count(db) == 0


def test_a_name_already_taken_is_refused_with_422(admin, db):
    admin.post("/admin/webhooks/new", form("https://a.example/", name="Chat bot"))
    other = form("https://b.example/", name="Pager")
    assert admin.post("/admin/webhooks/new", other).status_code == 302
    again = admin.post("/admin/webhooks/new", form("https://c.example/", name="Chat bot"))
    assert again.status_code == 422
    assert "Another subscription already has this name." in again.get_data(as_text=True)
    pager = db.session.scalars(
        select(WebhookSubscription).where(WebhookSubscription.name == "Pager")
    ).one()
    renamed = admin.post(f"/admin/webhooks/{pager.id}", form("https://b.example/", name="Chat bot"))
    assert renamed.status_code == 422
    assert "Another subscription already has this name." in renamed.get_data(as_text=True)
    db.session.refresh(pager)
    assert pager.name == "Pager"
    assert count(db) == 2


def test_no_test_delivery_to_a_switched_off_subscription(admin, db, receiver):  # noqa: F811
    admin.post("/admin/webhooks/new", form(receiver.url))
    subscription = db.session.scalars(select(WebhookSubscription)).one()
    assert admin.post(f"/admin/webhooks/{subscription.id}/disable").status_code == 302
    response = admin.post(
        f"/admin/webhooks/{subscription.id}/test", {"submission_token": "switched-off-ping"}
    )
    assert response.status_code == 422
    assert "switched off: enable it first" in response.get_data(as_text=True)
    assert receiver.received == []
    assert db.session.scalars(select(WebhookDelivery)).all() == []


def test_the_form_offers_services_of_every_service_class(admin, db, service_kinds, make_ci):
    """Retired services too (as before: a subscription may follow a service retired since),
    never a CI of another class; the class tree and the services are read in one statement."""
    make_ci("Email", "business_service")
    make_ci("Payroll SaaS", "saas_service")
    make_ci("Old chat", "chat_service", status=Lifecycle.RETIRED)
    make_ci("erp-db-01", "server")
    with count_queries() as statements:
        page = admin.get("/admin/webhooks/new").get_data(as_text=True)
    offered = re.search(r'<select[^>]* name="service_ids"[^>]*>(.*?)</select>', page, re.S)[1]
    assert re.findall(r">([^<]+)</option>", offered) == ["Email", "Old chat", "Payroll SaaS"]
    assert len([s for s in statements if "ci_classes" in s]) == 1
