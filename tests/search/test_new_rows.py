"""A ticket opened in the committing transaction is indexed without looking for a document it
cannot have yet, and, while it has no journal entry, from the ticket in memory (issue 20: two
statements less at every opening): the document is the one reading it back would give."""

from __future__ import annotations

from sqlalchemy import select

from app.incidents import services
from app.search import index
from app.search.models import SearchDocument
from app.tickets.models import EntryKind
from app.tickets.search_source import SOURCE
from app.tickets.services import add_entry
from tests.conftest import count_queries


def stored(db, ticket_id: int) -> list[tuple[str, str, str, str, str]]:
    rows = db.session.scalars(
        select(SearchDocument).where(
            SearchDocument.source == "ticket", SearchDocument.source_id == ticket_id
        )
    )
    return [(d.kind, d.ref, d.title, d.body, d.notes) for d in rows]


def read_back(ticket_id: int) -> list[tuple[str, str, str, str, str]]:
    return [(d.kind, d.ref, d.title, d.body, d.notes) for d in SOURCE.documents([ticket_id])]


def test_a_new_ticket_is_indexed_from_memory(db, make_user):
    caller = make_user()
    with count_queries() as statements:
        incident = services.open_incident(
            caller=caller,
            opened_by=caller,
            short_description="Printer jams on floor 3",
            description="Paper tray 2.",
        )
        db.session.commit()
    assert not [s for s in statements if "FROM search_documents" in s]
    assert not [s for s in statements if "FROM journal_entries" in s]
    assert stored(db, incident.id) == read_back(incident.id)
    assert stored(db, incident.id)[0][3] == "Paper tray 2."


def test_a_new_ticket_with_a_reply_is_read_with_it(db, make_user):
    caller = make_user()
    incident = services.open_incident(caller=caller, opened_by=caller, short_description="VPN")
    add_entry(incident, EntryKind.REPLY, caller, body="It drops every hour.")
    add_entry(incident, EntryKind.WORK_NOTE, caller, body="Check the concentrator.")
    db.session.commit()
    assert stored(db, incident.id) == read_back(incident.id)
    _kind, _ref, _title, body, notes = stored(db, incident.id)[0]
    assert "It drops every hour." in body
    assert notes == "Check the concentrator."


def test_a_ticket_known_elsewhere_keeps_its_external_number(db, make_user):
    caller = make_user()
    incident = services.open_incident(caller=caller, opened_by=caller, short_description="Disk")
    incident.external_system, incident.external_number = "ServiceNow", "INC0099"
    db.session.commit()
    assert stored(db, incident.id) == read_back(incident.id)
    assert "(ServiceNow INC0099)" in stored(db, incident.id)[0][2]


def test_a_new_ticket_indexed_before_the_commit_is_rewritten_not_added_twice(db, make_user):
    caller = make_user()
    incident = services.open_incident(caller=caller, opened_by=caller, short_description="Fan")
    index.refresh()  # searched before the commit: its document is written
    incident.short_description = "Fan is loud"
    db.session.commit()
    assert stored(db, incident.id) == read_back(incident.id)
    assert stored(db, incident.id)[0][2] == f"{incident.number} Fan is loud"


def test_an_edit_of_an_older_ticket_still_finds_its_document(db, make_user):
    caller = make_user()
    incident = services.open_incident(caller=caller, opened_by=caller, short_description="Mouse")
    db.session.commit()
    incident.short_description = "Mouse is dead"
    with count_queries() as statements:
        db.session.commit()
    assert [s for s in statements if "FROM search_documents" in s]
    assert stored(db, incident.id) == read_back(incident.id)
