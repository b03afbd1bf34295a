"""An administrator subscribes a receiver to new incidents in a real browser, copies the
secret shown once (then only "set", or replaced by a new one), an employee reports a problem,
and the receiver gets a delivery signed with that secret while the subscription's log shows
the receiver's 200."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from app.timeutils import utc_now
from app.webhooks.signing import verify
from tests.browser.conftest import RESULTS, serving
from tests.browser.test_shell import sign_in, unexpected
from tests.conftest import build_app, migrate
from tests.webhooks.receiver import Receiver

pytestmark = pytest.mark.browser
PASSWORD = "webhook-admin-password"


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A desk of its own (a subscription would reach every other journey's events) with an
    administrator, an employee and an assignment group; yields its URL."""
    from app.auth import groups
    from app.auth import services as people
    from app.auth.models import Role
    from app.extensions import db

    folder = tmp_path_factory.mktemp("webhooks")
    app = build_app(f"sqlite:///{folder / 'desk.sqlite3'}", folder / "instance")
    migrate(app)
    with app.app_context():
        admin = people.create_local_user(
            username="hookadmin", password=PASSWORD, roles=[Role.ADMIN], display_name="Hook Admin"
        )
        people.create_local_user(
            username="kim", password=PASSWORD, roles=[Role.EMPLOYEE], display_name="Kim Lee"
        )
        groups.create_group(actor=admin, name="Network", is_assignment_group=True)
        db.session.commit()
        db.session.remove()
    with serving(app) as url:
        yield url
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    served = Receiver()
    yield served
    served.close()


def tab_on(browser: Any, url: str) -> Any:
    context = browser.new_context(base_url=url, viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.console_errors = []
    page.on("console", lambda m: page.console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: page.console_errors.append(str(e)))
    return page


def test_admin_subscribes_a_receiver_and_sees_the_delivery_logged(browser, desk, receiver):
    admin, employee = tab_on(browser, desk), tab_on(browser, desk)

    sign_in(admin, "hookadmin", PASSWORD)
    admin.get_by_role("navigation", name="Main navigation").get_by_role(
        "link", name="Webhooks"
    ).click()
    admin.get_by_role("link", name="New subscription").click()
    admin.get_by_label("Name", exact=True).fill("Chat bot")
    admin.get_by_label("Payload URL").fill(receiver.url)
    admin.get_by_label("A ticket is opened", exact=True).check()
    admin.get_by_label("Incidents", exact=True).check()
    admin.get_by_label("Assignment groups").select_option(label="Network")
    admin.get_by_label("Assignment groups").select_option([])  # any group: none chosen
    expect(admin.get_by_label("Business services").locator("option")).to_have_count(0)
    admin.get_by_label("Send work notes").uncheck()
    admin.get_by_role("button", name="Subscribe").click()
    admin.wait_for_url(re.compile(r"/admin/webhooks/\d+$"))
    expect(admin.get_by_text("Chat bot is subscribed")).to_be_visible()
    secret = admin.locator("#webhook-secret").inner_text()
    assert secret.startswith("whsec_")
    RESULTS.mkdir(exist_ok=True)
    admin.screenshot(path=str(RESULTS / "webhooks-1-subscribed.png"), full_page=True)

    sign_in(employee, "kim", PASSWORD)
    employee.get_by_role("link", name="Report a problem").first.click()
    employee.get_by_label("What is wrong?").fill("The Wi-Fi in room 4 is down")
    employee.get_by_label("Details").fill("Since this morning, for everyone in the room.")
    employee.get_by_role("button", name="Send to the service desk").click()
    employee.wait_for_url(re.compile(r"/incidents/INC\d{7}$"))
    number = employee.url.rsplit("/", 1)[-1]

    [got] = receiver.received
    verify(secret, got.headers, got.body, now=utc_now().timestamp())
    body = json.loads(got.body)
    assert (body["event"], body["ticket"]["number"]) == ("incident.created", number)

    admin.reload()
    expect(admin.locator("#webhook-secret")).to_have_count(0)  # shown once
    expect(admin.locator("#webhook-secret-state")).to_contain_text("Set")
    expect(admin.get_by_role("button", name="Reveal the secret")).to_have_count(0)
    row = admin.locator("table tbody tr").filter(has_text="incident.created")
    expect(row.locator(".dg-response-status")).to_have_text("200")
    expect(row.get_by_text("Succeeded")).to_be_visible()
    admin.screenshot(path=str(RESULTS / "webhooks-2-logged.png"), full_page=True)
    admin.get_by_role("button", name="Make a new secret").click()
    expect(admin.locator("#webhook-secret")).to_have_text(re.compile(r"^whsec_"))
    expect(admin.locator("#webhook-secret")).not_to_have_text(secret)
    assert unexpected(admin.console_errors) == []
    assert unexpected(employee.console_errors) == []
    for page in (admin, employee):
        page.context.close()
