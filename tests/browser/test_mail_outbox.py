"""An administrator opens the mail outbox in a real browser, finds a mail the desk recorded
(no SMTP server is configured), and reads it: its headers, its text, its HTML as source."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import RESULTS, serving
from tests.browser.test_shell import sign_in, unexpected
from tests.conftest import build_app, migrate

pytestmark = pytest.mark.browser
PASSWORD = "outbox-admin-password"


@pytest.fixture(scope="module")
def desk_with_mail(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """A desk of its own (the demo writes no mail) with an admin and two recorded mails of
    an incident; yields its URL and the incident's number."""
    from app.auth import services as people
    from app.auth.models import Role
    from app.extensions import db
    from app.incidents import services as incidents
    from app.mail.outgoing.services import queue_mail

    folder = tmp_path_factory.mktemp("outbox")
    app = build_app(f"sqlite:///{folder / 'desk.sqlite3'}", folder / "instance")
    migrate(app)
    with app.app_context():
        people.create_local_user(
            username="mailadmin", password=PASSWORD, roles=[Role.ADMIN], display_name="Mail Admin"
        )
        caller = people.create_local_user(
            username="kim", password=PASSWORD, roles=[Role.EMPLOYEE], display_name="Kim Lee"
        )
        incident = incidents.open_incident(
            caller=caller, opened_by=caller, short_description="VPN drops every hour"
        )
        for subject, text in (("We received your incident", "Number: see subject"),
                              ("Your incident is resolved", "The VPN works again.")):  # fmt: skip
            queue_mail(
                to_address="kim@example.org",
                subject=subject,
                text=text,
                html=f"<p>{text}</p>",
                ticket=incident,
                recipient=caller,
            )
        number = incident.number
        db.session.commit()
        db.session.remove()
    with serving(app) as url:
        yield url, number
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def tab(browser: Any, desk_with_mail: tuple[str, str], request: pytest.FixtureRequest) -> Any:
    context = browser.new_context(
        base_url=desk_with_mail[0], viewport={"width": 1366, "height": 900}
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.console_errors = errors
    yield page
    RESULTS.mkdir(exist_ok=True)
    page.screenshot(path=str(RESULTS / f"{request.node.name}.png"), full_page=True)
    context.close()


def test_admin_finds_a_recorded_mail_and_reads_it(tab, desk_with_mail):
    _url, number = desk_with_mail
    sign_in(tab, "mailadmin", PASSWORD)
    tab.get_by_role("link", name="Mail outbox").click()
    tab.wait_for_url(re.compile(r"/mail/outbox$"))
    expect(tab.get_by_role("heading", name="Mail outbox")).to_be_visible()
    expect(tab.get_by_text("No SMTP server is configured")).to_be_visible()

    tab.get_by_label("State").select_option("recorded")
    tab.get_by_role("button", name="Filter").click()
    tab.wait_for_url(re.compile(r"state=recorded"))
    mails = tab.get_by_role("table", name="Mails")
    rows = mails.locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text(f"[{number}] Your incident is resolved")  # newest first
    expect(rows.first).to_contain_text("Recorded")
    expect(rows.first).to_contain_text("kim@example.org")
    expect(rows.first.get_by_role("link", name=number, exact=True)).to_be_visible()

    rows.first.get_by_role("link", name=f"[{number}] Your incident is resolved").click()
    tab.wait_for_url(re.compile(r"/mail/outbox/\d+$"))
    expect(tab.get_by_role("heading", name=f"[{number}] Your incident is resolved")).to_be_visible()
    headers = tab.get_by_role("table", name="Headers")
    expect(headers.get_by_role("row", name=re.compile("^Auto-Submitted"))).to_contain_text(
        "auto-generated"
    )
    expect(headers.get_by_role("row", name=re.compile("^In-Reply-To"))).to_contain_text(
        f"{number}."
    )
    expect(tab.get_by_text("The VPN works again.", exact=True)).to_be_visible()
    expect(tab.get_by_text("<p>The VPN works again.</p>")).to_be_visible()  # source, not rendered
    expect(tab.get_by_role("button", name="Retry now")).to_have_count(0)
    assert unexpected(tab.console_errors) == []
