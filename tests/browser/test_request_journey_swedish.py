"""A catalog request in Swedish, in a real browser: `e.nilsson` (who reads the desk in Swedish)
orders VPN access from the Swedish catalog, and `a.lindqvist`, his manager, approves it from
"Mina godkännanden". Every page, button and message they read is Swedish, the catalog item
included (its Swedish name comes from the catalog, not from gettext)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import new_tab, snapshots
from tests.browser.test_shell import sign_in, unexpected

pytestmark = [pytest.mark.browser, pytest.mark.slow]


_shot = snapshots("request_journey_sv_")


def test_a_swedish_manager_approves_her_reports_order_in_swedish(browser, live_server):
    erik, astrid = new_tab(browser, live_server), new_tab(browser, live_server)

    # Erik orders VPN access from the Swedish catalog.
    sign_in(erik, "e.nilsson")
    erik.wait_for_url(re.compile(r"/$"))
    expect(erik.locator("html")).to_have_attribute("lang", "sv")
    erik.get_by_role("navigation", name=re.compile(".")).get_by_role(
        "link", name="Tjänstekatalog"
    ).first.click()
    expect(erik.get_by_role("heading", name="Konton och behörigheter")).to_be_visible()
    erik.get_by_role("link", name="VPN-åtkomst", exact=True).click()
    erik.wait_for_url(re.compile(r"/requests/catalog/\d+$"))
    expect(erik.get_by_role("heading", name="Om katalogartikeln")).to_be_visible()
    erik.get_by_role("textbox", name="Behövs till och med").fill("")
    erik.get_by_role("textbox", name="Varför (obligatoriskt)").fill("Jobbar hemifrån på fredagar")
    erik.get_by_label("Anteckning till IT (valfritt)").fill("")
    erik.get_by_role("button", name="Beställ nu").click()
    erik.wait_for_url(re.compile(r"/requests/REQ\d+$"))
    expect(
        erik.get_by_text(re.compile(r"Tack\. Din beställning REQ\d+ är registrerad"))
    ).to_be_visible()
    expect(erik.get_by_role("heading", name="VPN-åtkomst", level=1)).to_be_visible()
    expect(erik.get_by_text("Öppen", exact=True)).to_be_visible()
    item = erik.get_by_role("region", name="VPN-åtkomst")
    expect(item.get_by_text("Väntar på godkännande av Astrid Lindqvist")).to_be_visible()
    expect(item.get_by_text("Jobbar hemifrån på fredagar")).to_be_visible()
    ritm = re.search(r"RITM\d+", item.inner_text())[0]
    _shot(erik, "1_ordered")

    # Astrid, his manager, approves it from "Mina godkännanden".
    sign_in(astrid, "a.lindqvist")
    astrid.wait_for_url(re.compile(r"/$"))
    astrid.get_by_role("link", name=re.compile("^Mina godkännanden")).first.click()
    expect(astrid.get_by_role("heading", name="Väntar på mitt godkännande")).to_be_visible()
    row = astrid.get_by_role("row").filter(has_text=ritm)
    expect(row.get_by_role("cell", name="VPN-åtkomst")).to_be_visible()
    row.get_by_role("link", name=re.compile("Granska")).click()
    expect(astrid.get_by_role("heading", name="VPN-åtkomst till Erik Nilsson")).to_be_visible()
    expect(astrid.get_by_text("Vad som efterfrågades")).to_be_visible()
    expect(astrid.get_by_text("Varför", exact=True)).to_be_visible()
    astrid.get_by_label("Kommentar").fill("Okej för fredagar.")
    astrid.get_by_role("button", name="Godkänn").click()
    astrid.wait_for_url(re.compile(r"/requests/approvals$"))
    expect(
        astrid.get_by_text(f"Du godkände {ritm} (VPN-åtkomst) till Erik Nilsson")
    ).to_be_visible()
    expect(astrid.get_by_role("heading", name="Nyligen beslutade")).to_be_visible()
    _shot(astrid, "2_approved")

    # Erik sees it approved, in Swedish.
    erik.reload()
    item = erik.get_by_role("region", name="VPN-åtkomst")
    expect(item.get_by_text("Okej för fredagar.")).to_be_visible()
    expect(item.get_by_text(re.compile("godkänt"))).to_be_visible()
    assert unexpected(erik.console_errors) == []
    assert unexpected(astrid.console_errors) == []
