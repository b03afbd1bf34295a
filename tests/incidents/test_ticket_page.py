"""The employee's ticket page speaks plain words: no state names, no work notes, no empty
forms."""

from __future__ import annotations

import re
from datetime import timedelta

from app.incidents import services
from app.incidents.workflow import State, Transition
from app.tickets.holds import HoldReason
from app.timeutils import utc_now

WORK_NOTE = "internal: their mailbox is on the old cluster"


def test_the_employee_reads_what_happened_in_plain_words(
    signed_in, make_user, queue, make_incident, db
):
    client, employee = signed_in("employee")
    agent = make_user(roles=["agent"], display_name="Ann Agent")
    desk = queue("Service Desk", members=(agent,))
    incident = make_incident(caller=employee, description="Outlook asks for my password")
    start = utc_now() - timedelta(hours=2)

    def at(minutes: int):
        return start + timedelta(minutes=minutes)

    services.assign_incident(incident, group=desk, assignee=agent, actor=agent, now=at(1))
    services.comment(incident, author=agent, body=WORK_NOTE, public=False, now=at(2))
    services.comment(incident, author=agent, body="Which device is it?", public=True, now=at(3))
    services.change_state(
        incident,
        Transition(State.ON_HOLD, hold_reason=HoldReason.AWAITING_CALLER),
        actor=agent,
        now=at(4),
    )
    services.comment(incident, author=employee, body="My laptop", public=True, now=at(5))
    services.change_state(
        incident,
        Transition(State.RESOLVED, resolution_code="solved_remotely", resolution_notes="Re-synced"),
        actor=agent,
        now=at(6),
    )
    services.reopen_incident(
        incident, actor=employee, reason="Back again", window=timedelta(days=7), now=at(7)
    )
    db.session.commit()

    page = client.get(f"/incidents/{incident.number}?order=oldest").get_data(as_text=True)
    said = [
        "Your description",
        "An agent is working on your ticket.",
        "Which device is it?",
        "We are waiting for your reply.",
        "You answered; we are working on it again.",
        "Resolved: Solved remotely.",
        "Re-synced",
        "You reopened this ticket.",
    ]
    positions = [page.index(words) for words in said]
    assert positions == sorted(positions)  # in the order it happened
    assert "Ann Agent</strong> replied" in page
    assert "<strong>You</strong> wrote" in page
    for internal in ("State:", "→", "in progress", "on hold", "awaiting", WORK_NOTE):
        assert internal not in page


def test_the_employees_page_has_no_empty_form(signed_in, make_incident):
    client, employee = signed_in("employee")
    incident = make_incident(caller=employee)
    page = client.get(f"/incidents/{incident.number}").get_data(as_text=True)
    forms = re.findall(r"<form\b.*?</form>", page, flags=re.S)
    assert forms  # the reply form at least
    for form in forms:
        assert re.search(r"<button\b|type=\"submit\"", form), form
