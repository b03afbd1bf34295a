"""Lines the desk writes on a timeline are stored as messages and read in each reader's
language; the body keeps the English (search, API), and lines stored before still show."""

from __future__ import annotations

from sqlalchemy import select

from app.incidents import services
from app.tickets.models import EntryKind, JournalEntry
from app.tickets.services import add_entry


def _timeline(page: str) -> str:
    start = page.index('<ol class="dg-timeline">')
    return page[start : page.index("</ol>", start)]


def _incident_with_desk_lines(db, signed_in, make_incident, language):
    client, agent = signed_in("agent", "employee")
    agent.language = language
    db.session.commit()
    incident = make_incident(caller=agent)
    services.override_priority(incident, 1, reason="CEO <laptop>", actor=agent)
    services.propose_major(incident, actor=agent, reason="Whole floor")
    services.decide_major(incident, accept=False, actor=agent)
    add_entry(incident, EntryKind.WORK_NOTE, agent, body="Stored before: plain English")
    db.session.commit()
    return client, incident


def test_a_swedish_reader_reads_the_desks_lines_in_swedish(db, signed_in, make_incident):
    client, incident = _incident_with_desk_lines(db, signed_in, make_incident, "sv")
    page = _timeline(client.get(f"/incidents/{incident.number}").get_data(as_text=True))
    assert "Prioriteten ändrad manuellt: CEO &lt;laptop&gt;" in page
    assert "Föreslagen som större incident: Whole floor" in page
    assert "Förslaget om större incident avslogs." in page
    assert "Stored before: plain English" in page
    assert "Priority overridden" not in page


def test_an_english_reader_reads_them_in_english_and_the_body_keeps_english(
    db, signed_in, make_incident
):
    client, incident = _incident_with_desk_lines(db, signed_in, make_incident, "en")
    page = _timeline(client.get(f"/incidents/{incident.number}").get_data(as_text=True))
    assert "Priority overridden: CEO &lt;laptop&gt;" in page
    assert "Major incident proposal rejected." in page
    bodies = db.session.scalars(
        select(JournalEntry.body).where(JournalEntry.ticket_id == incident.id)
    ).all()
    assert "Priority overridden: CEO <laptop>" in bodies
    assert "Proposed as a major incident: Whole floor" in bodies


def test_a_request_items_lines_follow_their_readers_language(app, db, org, make_item, place):
    from flask_babel import gettext

    from app.i18n.locale import in_language_of
    from app.i18n.stored import render
    from app.requests.ordering.services import cancel_item

    item = place(make_item(approval_policy=[{"kind": "manager"}]))
    cancel_item(item, actor=org.kim, reason="Not needed <now>")
    db.session.commit()
    entry = db.session.scalars(
        select(JournalEntry)
        .where(JournalEntry.ticket_id == item.id, JournalEntry.message.is_not(None))
        .order_by(JournalEntry.id.desc())
    ).first()
    assert entry.body == "Canceled by Kim Lee. Not needed <now>"
    org.kim.language = "sv"
    with app.test_request_context(), in_language_of(org.kim):
        assert render(entry.message, gettext) == "Annullerad av Kim Lee. Not needed <now>"
