"""The clock's explanation is stored as messages and read in the reader's language, its
instants as ``<time>`` tags in the reader's zone; the CLI's and logs' text stays English."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy import select

from app.auth import groups as group_services
from app.incidents import services
from app.incidents.workflow import State, Transition
from app.sla.clock import line_text
from app.sla.models import TaskSla
from app.tickets.holds import HoldReason
from tests.sla.conftest import at


def _held_incident(db, agent, policy):
    desk = group_services.create_group(actor=agent, name="Service Desk")
    group_services.add_members(desk, [agent], actor=agent)
    policy(desk, name="Desk resolution")
    incident = services.open_incident(
        caller=agent,
        opened_by=agent,
        short_description="Printer jam",
        assignment_group=desk,
        now=at("2026-03-02 09:00"),
    )
    hold = Transition(State.ON_HOLD, hold_reason=HoldReason.AWAITING_CALLER)
    services.change_state(incident, hold, actor=agent, now=at("2026-03-02 10:00"))
    services.change_state(
        incident, Transition(State.IN_PROGRESS), actor=agent, now=at("2026-03-02 11:00")
    )
    db.session.commit()
    return incident


def _explanation(page: str) -> str:
    start = page.index('class="small mb-0 ps-3 dg-sla-explanation"')
    return page[start : page.index("</ol>", start)]


def test_a_swedish_reader_reads_the_explanation_in_swedish(signed_in, policy, db):
    client, agent = signed_in("agent", "employee")
    agent.language, agent.timezone = "sv", "Europe/Stockholm"
    db.session.commit()
    incident = _held_incident(db, agent, policy)
    lines = _explanation(client.get(f"/incidents/{incident.number}").get_data(as_text=True))
    assert "startad <time" in lines
    assert "(öppnat); mål 16 tim 00 min för prioritet 5" in lines
    assert "(väntar på anmälaren), 1 tim 00 min arbetstid räknades inte" in lines
    assert 'datetime="2026-03-02T09:00:00Z">2 mars 2026 10:00 CET</time>' in lines
    assert "started" not in lines


def test_an_english_reader_reads_it_in_english_and_the_cli_text_stays_english(
    signed_in, policy, db
):
    client, agent = signed_in("agent", "employee")
    agent.language = "en"
    db.session.commit()
    incident = _held_incident(db, agent, policy)
    lines = _explanation(client.get(f"/incidents/{incident.number}").get_data(as_text=True))
    assert "started <time" in lines
    assert "awaiting caller, 1 h 00 min of business time not counted" in lines
    record = db.session.scalars(select(TaskSla).where(TaskSla.ticket_id == incident.id)).one()
    texts = [line_text(line, ZoneInfo("UTC")) for line in record.explanation]
    assert texts[0].startswith("started 2026-03-02 09:00 (opened); target 16 h 0 min")


def test_text_in_a_parameter_is_escaped(app, signed_in, policy, db):
    from flask import render_template_string

    from app.i18n.stored import stored

    line = stored("stopped at %(at)s: left %(group)s", at=at("2026-03-02 09:00"), group="<b>")
    with app.test_request_context():
        html = render_template_string("{{ line|explained }}", line=line)
    assert "left &lt;b&gt;" in html
    assert '<time datetime="2026-03-02T09:00:00Z">' in html
