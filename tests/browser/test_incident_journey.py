"""The incident journey of issue 13, end to end in a real browser, each step by the person who
must take it: an employee reports a problem naming the affected service; an agent finds it by
typing in the console's search and pressing Enter, takes it, writes a work note and a public
reply and puts it on hold waiting for the caller; the employee answers; the agent resolves it;
the employee confirms. The employee never sees the work note."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import new_tab, snapshots
from tests.browser.test_shell import sign_in, unexpected

pytestmark = [pytest.mark.browser, pytest.mark.slow]
SUMMARY = "Calendar invitations never arrive for the Genoa team"
WORK_NOTE = "Internal: the transport rule for Genoa drops meeting requests"
QUESTION = "Who sent the last invitation that did not arrive, and when?"
ANSWER = "Marco Rossi, Monday at 10:00."
FIX = "We corrected the mail rule; invitations reach Genoa again."


_snap = snapshots("incident_journey-")


def test_report_find_work_answer_resolve_confirm(browser, live_server):
    employee, agent = new_tab(browser, live_server), new_tab(browser, live_server)

    # The employee reports, naming a service they use (from the CMDB's users groups).
    sign_in(employee, "employee")
    employee.get_by_role("link", name="Report a problem").first.click()
    employee.get_by_label("What is wrong?").fill(SUMMARY)
    employee.get_by_label("Details").fill("Since Monday no meeting invitation reaches us.")
    service = employee.get_by_label("Which service is affected?")
    offered = service.locator("option").all_inner_texts()
    assert "I don't know" in " ".join(offered)
    assert not any(re.search(r"\d{2}$|^(srv|esx|db|san)-", o) for o in offered), offered
    chosen = next(o for o in offered if o != "I don't know" and o.strip())
    service.select_option(label=chosen)
    employee.get_by_role("button", name="Send to the service desk").click()
    employee.wait_for_url(re.compile(r"/incidents/INC\d{7}$"))
    number = employee.url.rsplit("/", 1)[-1]
    _snap(employee, "1-reported")

    # The agent finds it from the console: a word in Search, then Enter (the whole form sent).
    sign_in(agent, "agent")
    agent.get_by_role("navigation", name="Main navigation").get_by_role(
        "link", name="Incidents & tasks"
    ).click()
    agent.get_by_role("link", name="All open").click()
    search = agent.get_by_role("searchbox", name="Search")
    search.fill("Genoa")
    search.press("Enter")
    agent.wait_for_url(re.compile(r"q=Genoa"))
    expect(agent.get_by_text("not understood")).to_have_count(0)
    rows = agent.locator("table tbody tr")
    expect(rows).to_have_count(1)
    rows.get_by_role("link", name=number).click()
    agent.wait_for_url(re.compile(rf"/incidents/{number}$"))
    expect(agent.get_by_role("heading", level=1)).to_have_text(SUMMARY)
    # The service the employee named is one of the incident's CIs, and its impact is shown.
    expect(agent.get_by_role("link", name=chosen).first).to_be_visible()
    _snap(agent, "2-found")

    agent.get_by_role("button", name="Assign to me").click()
    expect(agent.get_by_text("Assigned to you.")).to_be_visible()
    expect(agent.locator(".dg-page-header .dg-state")).to_have_text("In progress")
    agent.get_by_label("Message").fill(WORK_NOTE)
    agent.get_by_role("button", name="Post").click()
    expect(agent.get_by_text("Work note added.")).to_be_visible()
    agent.get_by_label("Message").fill(QUESTION)
    agent.get_by_label("Public reply (the caller sees it)").check()
    agent.get_by_role("button", name="Post").click()
    expect(agent.get_by_text("Reply sent.")).to_be_visible()
    agent.get_by_label("State").select_option("on_hold")
    agent.get_by_label("Waiting for").select_option("awaiting_caller")
    agent.get_by_role("button", name="Save", exact=True).click()
    expect(agent.get_by_text("Saved.", exact=True)).to_be_visible()
    expect(agent.locator(".dg-page-header .dg-state")).to_contain_text("On hold")

    # The employee reads the question in plain words, never the work note, and answers.
    employee.reload()
    expect(employee.get_by_text(QUESTION)).to_be_visible()
    expect(employee.get_by_text("We are waiting for your reply.").first).to_be_visible()
    expect(employee.get_by_text(WORK_NOTE)).to_have_count(0)
    expect(employee.get_by_text("on_hold")).to_have_count(0)
    employee.get_by_label("Message").fill(ANSWER)
    employee.get_by_role("button", name="Send").click()
    expect(employee.get_by_text(ANSWER)).to_be_visible()
    _snap(employee, "3-answered")

    # The agent sees the answer, the incident back in progress, and resolves it.
    agent.reload()
    expect(agent.get_by_text(ANSWER)).to_be_visible()
    expect(agent.locator(".dg-page-header .dg-state")).to_have_text("In progress")
    agent.get_by_label("State").select_option("resolved")
    agent.get_by_label("Resolution code").select_option("solved_permanently")
    agent.get_by_label("Resolution notes").fill(FIX)
    agent.get_by_role("button", name="Save", exact=True).click()
    expect(agent.get_by_text("Saved.", exact=True)).to_be_visible()
    expect(agent.locator(".dg-page-header .dg-state")).to_have_text("Resolved")
    _snap(agent, "4-resolved")

    # The employee confirms the fix; the ticket is closed.
    employee.reload()
    expect(employee.get_by_text(FIX).first).to_be_visible()
    employee.get_by_role("button", name="Yes, it is solved").click()
    expect(
        employee.get_by_text("You confirmed the solution; the ticket is closed.")
    ).to_be_visible()
    expect(employee.get_by_text(WORK_NOTE)).to_have_count(0)
    _snap(employee, "5-confirmed")
    assert unexpected(employee.console_errors) == []
    assert unexpected(agent.console_errors) == []
