"""An administrator sets up a mailbox in a real browser, then finds a message the desk could not
read in the quarantine, with its reason, and downloads it.

The journey serves an application of its own (the demo's live server has no handle to put a
message in its database): a fresh SQLite database with one administrator, and the message
received through the pipe path before the browser looks."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import new_tab, serving
from tests.browser.test_shell import sign_in, unexpected
from tests.conftest import PASSWORD, build_app, migrate

pytestmark = pytest.mark.browser

OUTLOOK = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 1024


@pytest.fixture(scope="module")
def mail_desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, str]]:
    from app.auth.models import Role
    from app.auth.services import create_local_user
    from app.extensions import db
    from app.mail.incoming import intake

    folder = tmp_path_factory.mktemp("mail-in")
    app = build_app(f"sqlite:///{folder / 'mail.sqlite3'}", folder / "instance")
    migrate(app)
    with app.app_context():
        create_local_user(
            username="mailadmin", display_name="Mail Admin", password=PASSWORD, roles=[Role.ADMIN]
        )
        db.session.commit()
        intake.take(OUTLOOK, None)
        db.session.remove()
    with serving(app) as url:
        yield app, url


def test_admin_creates_a_mailbox_and_downloads_a_quarantined_message(browser, mail_desk):
    _app, url = mail_desk
    page = new_tab(browser, url)
    sign_in(page, "mailadmin", PASSWORD)
    page.get_by_role("link", name="Mailboxes").click()
    page.wait_for_url(re.compile(r"/mail/mailboxes$"))
    expect(page.get_by_text("No mailboxes yet")).to_be_visible()

    page.get_by_role("link", name="New mailbox").click()
    page.get_by_label("Name", exact=True).fill("Service desk")
    page.get_by_label("Address", exact=True).fill("servicedesk@example.com")
    page.get_by_label("Category of new incidents").fill("")
    page.get_by_label("Impact", exact=True).select_option("2")
    page.get_by_label("Mail from unknown senders").select_option("refuse")
    page.get_by_label("IMAP server").fill("imap.example.com")
    page.get_by_label("Port", exact=True).fill("")
    page.get_by_label("User name").fill("desk")
    page.get_by_label("Password", exact=True).fill("secret-password")
    page.get_by_label("Poll every (seconds)").fill("300")
    page.get_by_role("button", name="Create mailbox").click()  # every field is submitted
    page.wait_for_url(re.compile(r"/mail/mailboxes$"))
    expect(page.get_by_text("Mailbox Service desk created.")).to_be_visible()
    row = page.get_by_role("row").filter(has_text="Service desk")
    expect(row).to_contain_text("servicedesk@example.com")
    expect(row).to_contain_text("IMAP imap.example.com")

    page.get_by_role("link", name="Quarantine").click()
    page.wait_for_url(re.compile(r"/mail/quarantine$"))
    message = page.get_by_role("row").filter(has_text="Outlook .msg")
    expect(message).to_contain_text("Quarantined")
    expect(message).to_contain_text("an Outlook .msg file, not an RFC 5322 message")
    with page.expect_download() as download:
        message.get_by_role("link", name="Download .eml").click()
    with open(download.value.path(), "rb") as saved:
        assert saved.read() == OUTLOOK

    message.get_by_role("button", name="Dismiss").click()
    expect(page.get_by_text("Message dismissed.")).to_be_visible()
    expect(page.get_by_text("Nothing in quarantine")).to_be_visible()
    assert unexpected(page.console_errors) == []
