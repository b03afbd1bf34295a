"""An approver decides from the one-click link of an approval mail, signed out, in a real
browser: the link opens a confirmation page, the confirmation decides, and the link then says it
was used, with the way to sign in to My approvals."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.conftest import RESULTS, new_tab
from tests.browser.test_shell import sign_in, unexpected

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def order_vpn_access(live_app) -> tuple[str, str, str, str]:
    """Emma orders VPN access (her manager approves it), as the server would; returns the link
    the approval mail carries, the item's number, the approver's name and username."""
    from app.auth.models import User
    from app.extensions import db
    from app.requests.approvals import links
    from app.requests.models import CatalogItem
    from app.requests.ordering.services import OrderLine, order

    with live_app.test_request_context():
        emma = db.session.scalar(select(User).where(User.username == "employee"))
        vpn = db.session.scalar(select(CatalogItem).where(CatalogItem.name == "VPN access"))
        request = order(
            orderer=emma,
            requested_for=emma,
            lines=[OrderLine(vpn, {"reason": "Travelling to the Lyon office next month"})],
        )
        db.session.commit()
        item = request.items[0]
        approval = item.waiting_approvals[0]
        url = links.decision_url(approval, approval.approver, "approve", external=False)
        found = (url, item.number, approval.approver.display_name, approval.approver.username)
        db.session.remove()
    return found


def test_an_approver_confirms_from_the_mail_link_signed_out(browser, live_app, live_server):
    url, number, name, username = order_vpn_access(live_app)
    tab = new_tab(browser, live_server)

    tab.goto(url)
    expect(tab.get_by_role("heading", name="Approve VPN access for Emma Schultz?")).to_be_visible()
    expect(tab.get_by_text("Travelling to the Lyon office next month")).to_be_visible()
    expect(tab.get_by_text(number)).to_be_visible()
    tab.get_by_label("Comment (optional)").fill("Safe travels.")
    RESULTS.mkdir(exist_ok=True)
    tab.screenshot(path=str(RESULTS / "approval_link_confirm.png"), full_page=True)
    tab.get_by_role("button", name="Confirm approval").click()

    tab.wait_for_url(re.compile(r"/requests/approvals/decide/.+/done$"))
    expect(tab.get_by_role("heading", name=f"Approved by {name}")).to_be_visible()
    expect(tab.get_by_text("Now: In progress.")).to_be_visible()
    tab.screenshot(path=str(RESULTS / "approval_link_done.png"), full_page=True)

    # The mail's link again: used, and the way into the desk.
    tab.goto(url)
    expect(
        tab.get_by_text(f"This approval was already decided: approved by {name}.")
    ).to_be_visible()
    tab.get_by_role("link", name="Sign in and open My approvals").click()
    tab.wait_for_url(re.compile(r"/login\?next="))
    tab.get_by_label("Username").fill(username)
    tab.get_by_label("Password", exact=True).fill("deskgraph-demo")
    tab.get_by_role("button", name="Sign in").click()
    tab.wait_for_url(re.compile(r"/requests/approvals$"))
    decided = tab.get_by_role("region", name="Decided lately").get_by_role("listitem")
    expect(decided.filter(has_text=number)).to_contain_text("approved")
    errors = [e for e in unexpected(tab.console_errors) if "status of 409" not in e]
    assert errors == []


def test_a_link_opened_by_someone_else_signed_in_says_whose_it_is(browser, live_app, live_server):
    url, _number, name, _username = order_vpn_access(live_app)
    tab = new_tab(browser, live_server)
    sign_in(tab, "agent")
    tab.wait_for_url(re.compile(r"/$"))
    tab.goto(url)
    expect(tab.get_by_text(f"this link was sent to {name}")).to_be_visible()
    expect(tab.get_by_role("button", name="Confirm approval")).to_be_visible()
    assert unexpected(tab.console_errors) == []
