"""The owner of a kind of business service an administrator added (a class under
``business_service``) finds it as a service, in a real browser: on their home, its page, an
incident reported against it, and their services dashboard filtered to it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.conftest import new_tab
from tests.browser.test_shell import sign_in, unexpected

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def saas_service_of_the_owner(live_app) -> str:
    """A "SaaS service" class under business_service, a CI of it owned by the demo's owner and
    an incident an employee reported against it; returns the incident's number."""
    from app.auth.models import User
    from app.cmdb import services as cmdb
    from app.cmdb.models import CIClass
    from app.extensions import db
    from app.incidents import services

    with live_app.test_request_context():
        owner = db.session.scalar(select(User).where(User.username == "owner"))
        emma = db.session.scalar(select(User).where(User.username == "employee"))
        root = db.session.scalar(select(CIClass).where(CIClass.name == "business_service"))
        saas = CIClass(name="saas_service", label="SaaS service", parent_id=root.id)
        db.session.add(saas)
        db.session.flush()
        cmdb.create_ci(actor=None, ci_class=saas, name="Team chat", owner_id=owner.id)
        incident = services.open_incident(
            caller=emma, opened_by=emma, short_description="Chat drops messages",
            affected_service="Team chat",
        )  # fmt: skip
        db.session.commit()
        return incident.number


def test_the_owner_of_a_kind_of_business_service_finds_it(browser, live_app, live_server):
    number = saas_service_of_the_owner(live_app)
    tab = new_tab(browser, live_server)
    sign_in(tab, "owner")
    tab.wait_for_url(re.compile(r"/$"))
    services = tab.get_by_role("table", name="Health of the business services you own")
    services.get_by_role("link", name="Team chat", exact=True).click()
    expect(tab.get_by_role("heading", name=re.compile("Team chat"))).to_be_visible()
    expect(tab.get_by_role("link", name=number)).to_be_visible()

    tab.get_by_role("link", name=number).click()  # the owner reads the incident against it
    expect(tab.get_by_role("heading", name="Chat drops messages")).to_be_visible()

    tab.goto("/reports/services")
    expect(tab.get_by_role("heading", name="My services", exact=True)).to_be_visible()
    tab.get_by_label("Service", exact=True).select_option(label="Team chat")
    tab.get_by_role("button", name="Apply filters").click()  # every field sent
    tab.wait_for_url(re.compile(r"service=\d+"))
    expect(tab.locator("[data-error]")).to_have_count(0)
    assert unexpected(tab.console_errors) == []
