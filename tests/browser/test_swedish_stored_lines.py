"""Issue 21's stored lines in Swedish, in a real browser: texts the desk wrote into the database
in English (a journal line, a field change on the timeline, the SLA clock's explanation) read in
Swedish by an agent who chose Swedish. The agent is made for this test (the demo's agents read
English and other journeys share the live desk); the desk writes the lines through its services
as the pages would."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import new_tab, snapshots
from tests.browser.test_shell import DEMO_PASSWORD, sign_in, unexpected

pytestmark = [pytest.mark.browser, pytest.mark.slow]
REASON = "Styrelsemötet i morgon behöver skrivaren"

_snap = snapshots("swedish_stored_lines-")


def _held_incident_of_a_swedish_agent(live_app) -> str:
    """A Swedish agent, and an incident opened an hour ago for the Service Desk (whose SLA
    pauses while the caller is awaited), put on hold, its priority set by hand: the number."""
    from sqlalchemy import select

    from app.auth import services as people
    from app.auth.models import Group, Role
    from app.extensions import db
    from app.incidents import services
    from app.incidents.workflow import State, Transition
    from app.tickets.holds import HoldReason
    from app.timeutils import utc_now

    with live_app.app_context():
        agent = people.create_local_user(
            username="sv.stored.lines",
            password=DEMO_PASSWORD,
            roles=[Role.AGENT, Role.EMPLOYEE],
            display_name="Sara Stored",
        )
        agent.language = "sv"
        desk = db.session.scalar(select(Group).where(Group.name == "Service Desk"))
        now = utc_now()
        incident = services.open_incident(
            caller=agent,
            opened_by=agent,
            short_description="Skrivaren i arkivet matar inte papper",
            assignment_group=desk,
            impact=3,
            urgency=3,
            now=now - timedelta(hours=2),
        )
        hold = Transition(State.ON_HOLD, hold_reason=HoldReason.AWAITING_CALLER)
        services.change_state(incident, hold, actor=agent, now=now - timedelta(hours=1))
        services.override_priority(incident, 2, reason=REASON, actor=agent)
        db.session.commit()
        number = incident.number
        db.session.remove()
    return number


def test_a_swedish_agent_reads_the_stored_lines_in_swedish(browser, live_app, live_server):
    number = _held_incident_of_a_swedish_agent(live_app)
    agent = new_tab(browser, live_server)
    sign_in(agent, "sv.stored.lines")
    agent.wait_for_url(re.compile(r"/$"))
    expect(agent.locator("html")).to_have_attribute("lang", "sv")
    agent.goto(f"/incidents/{number}")
    expect(agent.get_by_role("heading", level=1)).to_have_text(
        "Skrivaren i arkivet matar inte papper"
    )

    timeline = agent.locator(".dg-timeline")
    # The journal line the desk wrote when the priority was set by hand.
    expect(timeline.get_by_text(f"Prioriteten ändrad manuellt: {REASON}")).to_be_visible()
    # The field changes, named and valued with the page's own Swedish labels.
    expect(timeline.get_by_text("Status: Ny → Väntande")).to_be_visible()
    expect(timeline.get_by_text("Väntar på: — → Väntar på anmälaren")).to_be_visible()
    expect(timeline.get_by_text(re.compile(r"^Prioritet: P\d · .+ → P2 · "))).to_be_visible()
    expect(timeline.get_by_text("Priority overridden")).to_have_count(0)
    expect(timeline.get_by_text("Hold reason")).to_have_count(0)

    # The resolution clock's explanation (the policy's name is content: it stays as named):
    # started when opened, paused while the caller is awaited.
    resolution = agent.locator(".dg-sla-panel li.py-2").filter(
        has=agent.locator("strong", has_text=re.compile(r"^Resolution$"))
    )
    explanation = resolution.locator(".dg-sla-explanation")
    expect(explanation).to_contain_text("startad")
    expect(explanation).to_contain_text("(öppnat)")
    expect(explanation).to_contain_text("pausad sedan")
    expect(explanation).to_contain_text("(väntar på anmälaren)")
    expect(explanation).not_to_contain_text("started")
    expect(explanation).not_to_contain_text("awaiting caller")
    _snap(agent, "1-incident")
    assert unexpected(agent.console_errors) == []
