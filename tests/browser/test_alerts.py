"""Monitoring alerts in a real browser: an administrator finds the alerts a storm sent, follows
one to the incident of its root CI, sees the incident's alerts there, and tunes the alert
source."""

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
PASSWORD = "alerts-admin-password"


@pytest.fixture(scope="module")
def desk_with_alerts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A desk of its own: an array, a host that depends on it, an administrator, and alerts
    on both (one incident, for the array)."""
    from app.alerts import services
    from app.alerts.parsing import parse_payload
    from app.auth import services as people
    from app.auth.models import Role
    from app.cmdb import services as cmdb
    from app.cmdb.models import CIClass
    from app.extensions import db

    folder = tmp_path_factory.mktemp("alerts")
    app = build_app(f"sqlite:///{folder / 'desk.sqlite3'}", folder / "instance")
    migrate(app)
    with app.app_context():
        admin = people.create_local_user(
            username="opsadmin", password=PASSWORD, roles=[Role.ADMIN, Role.AGENT],
            display_name="Ops Admin",
        )  # fmt: skip
        classes = {c.name: c for c in db.session.query(CIClass)}
        array = cmdb.create_ci(actor=None, ci_class=classes["storage"], name="san-a")
        host = cmdb.create_ci(actor=None, ci_class=classes["server"], name="esx-a")
        cmdb.relate(host, array, "depends_on", actor=None)
        body = {"receiver": "prometheus", "version": "4", "alerts": [
            {"status": "firing", "labels": {"alertname": "HostDown", "instance": "esx-a:9100",
                                            "severity": "critical"},
             "annotations": {"summary": "esx-a is unreachable"}, "fingerprint": "f1"},
            {"status": "firing", "labels": {"alertname": "ArrayOffline", "instance": "san-a"},
             "annotations": {"summary": "san-a controllers offline"}, "fingerprint": "f2"},
        ]}  # fmt: skip
        services.intake(parse_payload(body), actor=admin)
        db.session.commit()
        db.session.remove()
    with serving(app) as url:
        yield url
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def tab(browser: Any, desk_with_alerts: str, request: pytest.FixtureRequest) -> Any:
    context = browser.new_context(
        base_url=desk_with_alerts, viewport={"width": 1366, "height": 900}
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


def test_admin_follows_an_alert_to_its_incident_and_tunes_the_source(tab):
    sign_in(tab, "opsadmin", PASSWORD)
    tab.get_by_role("link", name="Alerts", exact=True).click()
    tab.wait_for_url(re.compile(r"/alerts/$"))
    alerts = tab.get_by_role("table", name="Recent alerts, newest first")
    rows = alerts.locator("tbody tr")
    expect(rows).to_have_count(2)
    host_row = rows.filter(has_text="esx-a is unreachable")
    expect(host_row).to_contain_text("Firing")
    expect(host_row.get_by_role("link", name="esx-a")).to_be_visible()

    host_row.get_by_role("link", name=re.compile(r"^INC\d+$")).click()
    tab.wait_for_url(re.compile(r"/incidents/INC\d+$"))
    expect(
        tab.get_by_role("heading", name=re.compile("san-a: san-a controllers offline"))
    ).to_be_visible()
    expect(tab.get_by_text("Alert: esx-a: esx-a is unreachable (critical)")).to_be_visible()
    panel = tab.locator("#incident-alerts")
    expect(panel.get_by_role("heading", name="Monitoring alerts")).to_be_visible()
    expect(panel).to_contain_text("2 firing of 2")
    listed = panel.get_by_role("table").locator("tbody tr")
    expect(listed).to_have_count(2)
    host_alert = listed.filter(has_text="esx-a is unreachable")
    expect(host_alert).to_contain_text("Firing")
    expect(host_alert).to_contain_text("prometheus")
    expect(host_alert).to_contain_text("f1")
    expect(host_alert).to_contain_text("1×")
    expect(host_alert.get_by_role("link", name="esx-a")).to_be_visible()
    expect(listed.filter(has_text="san-a controllers offline")).to_contain_text("f2")

    tab.get_by_role("link", name="Alert sources").click()
    tab.wait_for_url(re.compile(r"/alerts/sources$"))
    tab.get_by_role("link", name="prometheus").click()
    tab.get_by_label("CI label").fill("node")
    tab.get_by_label("Damping window (seconds)").fill("120")
    tab.get_by_label("Grouping window (seconds)").fill("900")
    tab.get_by_label("Group wait (seconds)").fill("240")
    tab.get_by_label("Resolve the incident when every alert is resolved").check()
    tab.get_by_role("button", name="Save source").click()
    tab.wait_for_url(re.compile(r"/alerts/sources$"))
    expect(tab.get_by_text("Alert source prometheus saved.")).to_be_visible()
    row = tab.get_by_role("table", name="Alert sources").locator("tbody tr")
    expect(row).to_contain_text("node")
    expect(row).to_contain_text("Yes")
    expect(row).to_contain_text("120 s")
    expect(row).to_contain_text("900 s")
    expect(row).to_contain_text("240 s")
    assert unexpected(tab.console_errors) == []
