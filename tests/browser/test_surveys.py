"""Satisfaction surveys in a real browser: an employee's incident is resolved, she answers the
survey on her ticket page with a low score and a comment and is offered to reopen; the agent
sees the score on the incident; the mail's link works signed out."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.conftest import RESULTS, new_tab
from tests.browser.test_shell import sign_in, unexpected

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def resolved_incident(live_app, title: str) -> tuple[str, str]:
    """An incident of Emma's (the demo employee), assigned to the demo agent and resolved by
    him, as the server would; returns its number and the survey's mail link (a path)."""
    from app.auth.models import User
    from app.extensions import db
    from app.incidents import services
    from app.incidents.workflow import State, Transition
    from app.surveys import links
    from app.surveys.services import survey_of

    with live_app.test_request_context():
        emma = db.session.scalar(select(User).where(User.username == "employee"))
        agent = db.session.scalar(select(User).where(User.username == "agent"))
        incident = services.open_incident(caller=emma, opened_by=emma, short_description=title)
        db.session.commit()
        queue = next(g for g in agent.groups if g.is_assignment_group)
        services.assign_incident(incident, group=queue, assignee=agent, actor=agent)
        services.change_state(
            incident,
            Transition(
                State.RESOLVED,
                resolution_code="solved_permanently",
                resolution_notes="Re-seated the cable.",
            ),
            actor=agent,
        )
        db.session.commit()
        survey = survey_of(incident)
        assert survey is not None
        assert survey.sent_at is not None
        found = (incident.number, links.url(survey).split("://", 1)[1].split("/", 1)[1])
        db.session.remove()
    return found


def test_an_employee_answers_low_is_offered_to_reopen_and_the_agent_sees_it(
    browser, live_app, live_server
):
    number, _link = resolved_incident(live_app, "Docking station drops the screen")
    tab = new_tab(browser, live_server)
    sign_in(tab, "employee")
    tab.goto(f"/incidents/{number}")
    survey = tab.get_by_role("region", name="How did we do?")
    expect(survey).to_be_visible()
    survey.locator("label[for=survey-score-2]").click()
    survey.get_by_label("Anything to add? (optional)").fill("It took three days.")
    tab.screenshot(path=str(RESULTS / "survey_portal.png"), full_page=True)
    survey.get_by_role("button", name="Send my answer").click()

    tab.wait_for_url(re.compile(r"/surveys/\d+$"))
    expect(tab.get_by_text("Thank you for your answer.")).to_be_visible()
    expect(tab.locator("p", has_text="You answered")).to_contain_text("2 – Unhappy")
    expect(tab.locator("p", has_text="You answered")).to_contain_text("It took three days.")
    tab.get_by_role("link", name="reopen the ticket").click()
    tab.wait_for_url(re.compile(rf"/incidents/{number}#resolved-title$"))
    expect(tab.get_by_role("heading", name="Is your problem solved?")).to_be_visible()
    expect(tab.get_by_role("button", name="No, it is still broken")).to_be_visible()
    assert unexpected(tab.console_errors) == []

    staff = new_tab(browser, live_server)
    sign_in(staff, "agent")
    staff.goto(f"/incidents/{number}")
    panel = staff.get_by_role("region", name="Satisfaction")
    expect(panel).to_contain_text("2/5")
    expect(panel).to_contain_text("It took three days.")
    expect(panel).to_contain_text("Low score")
    staff.screenshot(path=str(RESULTS / "survey_staff.png"), full_page=True)
    assert unexpected(staff.console_errors) == []


def test_the_mail_link_answers_signed_out(browser, live_app, live_server):
    number, link = resolved_incident(live_app, "Headset crackles in calls")
    tab = new_tab(browser, live_server)
    tab.goto(f"/{link}?score=5")
    expect(tab.get_by_role("heading", name="How did we do?")).to_be_visible()
    expect(tab.get_by_text(number)).to_be_visible()
    expect(tab.locator("#survey-score-5")).to_be_checked()  # the face clicked in the mail
    tab.get_by_label("Anything to add? (optional)").fill("Fixed in an hour, thanks!")
    tab.get_by_role("button", name="Send my answer").click()
    expect(tab.get_by_text("Thank you for your answer.")).to_be_visible()
    expect(tab.locator("p", has_text="You answered")).to_contain_text("Fixed in an hour, thanks!")
    expect(tab.get_by_role("link", name=re.compile("reopen"))).to_have_count(0)
    tab.screenshot(path=str(RESULTS / "survey_link.png"), full_page=True)
    assert unexpected(tab.console_errors) == []


def test_an_admin_sets_sampling_and_an_agent_reads_the_report(browser, live_app, live_server):
    resolved_incident(live_app, "Webcam shows a black picture")  # at least one survey sent
    admin = new_tab(browser, live_server)
    sign_in(admin, "admin")
    admin.get_by_role("link", name="Surveys").click()
    admin.wait_for_url(re.compile(r"/surveys/settings$"))
    share = admin.get_by_label("Share of resolved tickets asked (%)")
    expect(share).to_have_value("100")
    share.fill("150")
    admin.get_by_role("button", name="Save settings").click()
    expect(admin.get_by_text("Enter a whole number from 0 to 100.")).to_be_visible()
    admin.get_by_label("Share of resolved tickets asked (%)").fill("100")  # as it was
    admin.get_by_label("Ask … hours after the resolution").fill("0")
    admin.get_by_role("button", name="Save settings").click()
    expect(admin.get_by_text("Survey settings saved.")).to_be_visible()
    assert unexpected([e for e in admin.console_errors if "status of 422" not in e]) == []

    agent = new_tab(browser, live_server)
    sign_in(agent, "agent")
    agent.get_by_role("link", name="Satisfaction").click()
    agent.wait_for_url(re.compile(r"/surveys/report$"))
    expect(agent.get_by_role("heading", name="By agent")).to_be_visible()
    overall = agent.locator("#table-total tbody tr").first
    expect(overall).to_contain_text("All")
    agent.get_by_role("link", name="Last 30 days").click()
    expect(agent.get_by_role("link", name="Last 30 days")).to_have_attribute("aria-current", "page")
    agent.screenshot(path=str(RESULTS / "survey_report.png"), full_page=True)
    assert unexpected(agent.console_errors) == []
