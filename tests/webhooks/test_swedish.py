"""The webhook pages are in the administrator's language; a refused address is worded in it
too, while the delivery log keeps what was sent."""

from __future__ import annotations

from tests.webhooks.test_pages import admin, form  # noqa: F401  (fixture)

SWEDISH = {"Accept-Language": "sv-SE,sv;q=0.9"}


def test_the_new_subscription_page_is_swedish_for_a_swedish_browser(admin):  # noqa: F811
    swedish = admin.get("/admin/webhooks/new", headers=SWEDISH).get_data(as_text=True)
    assert "Ny webhook-prenumeration" in swedish
    assert "Ett ärende skapas" in swedish  # an event's label, from the pure vocabulary
    assert "Mottagarens URL" in swedish
    english = admin.get("/admin/webhooks/new").get_data(as_text=True)
    assert "New webhook subscription" in english
    assert "A ticket is opened" in english
    assert "Ny webhook-prenumeration" not in english


def test_a_private_address_is_refused_in_swedish(admin, app, monkeypatch):  # noqa: F811
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOW_PRIVATE", False)
    refused = admin.post("/admin/webhooks/new", form("http://127.0.0.1:9/hook"), headers=SWEDISH)
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert "127.0.0.1 är en privat adress; webhooks går till publika adresser." in page
