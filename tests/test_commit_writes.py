"""A commit's last inserts (the report facts and rollups, a new ticket's search document, the
outbox messages) go to PostgreSQL as one statement, and nothing held outlives its commit."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.incidents.models import Incident
from app.outbox import enqueue_on_commit, handler
from app.outbox.models import OutboxMessage
from app.reports.rollups.models import DailyRollup, TicketFact
from app.search.models import SearchDocument
from tests.conftest import count_queries


@handler("test.commit_writes")
def ignore(payload: dict) -> None:
    """A message kind for these tests (delivered after the commit, doing nothing)."""


LAST_INSERTS = (
    "INSERT INTO report_ticket_facts",
    "INSERT INTO search_documents",
    "INSERT INTO outbox_messages",
)


def open_one(db, make_user, title: str) -> Incident:
    from app.incidents.services import open_incident

    caller = make_user(roles=["employee"])
    db.session.commit()
    return open_incident(caller=caller, opened_by=caller, short_description=title)


def written(db, incident_id: int) -> dict[str, int]:
    """What the commit wrote for the incident: its fact row, its search document."""
    count = func.count()
    return {
        "facts": db.session.scalar(
            select(count).select_from(TicketFact).where(TicketFact.ticket_id == incident_id)
        ),
        "documents": db.session.scalar(
            select(count)
            .select_from(SearchDocument)
            .where(SearchDocument.source == "ticket", SearchDocument.source_id == incident_id)
        ),
    }


def test_an_opening_sends_its_facts_document_and_messages_in_one_statement(
    app, db, backend, make_user
):
    from app.incidents.services import open_incident

    caller = make_user(roles=["employee"])
    db.session.commit()
    messages_before = db.session.scalar(select(func.count()).select_from(OutboxMessage))
    with count_queries() as sent:
        incident = open_incident(
            caller=caller, opened_by=caller, short_description="Docking station dead"
        )
        db.session.commit()
    carrying = {insert: [s for s in sent if insert in s] for insert in LAST_INSERTS}
    if backend == "postgresql":
        (together,) = carrying["INSERT INTO report_ticket_facts"]
        assert carrying["INSERT INTO search_documents"] == [together]
        assert carrying["INSERT INTO outbox_messages"] == [together]
    else:  # SQLite has no data-modifying WITH: each its own statement
        assert all(len(found) == 1 for found in carrying.values())
        assert len({found[0] for found in carrying.values()}) == 3
    assert written(db, incident.id) == {"facts": 1, "documents": 1}
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) > messages_before
    from app.search import query

    agent = make_user(roles=["agent"])
    with app.test_request_context():
        hits = query.search(agent, "docking").hits
    assert [hit.document.title for hit in hits] == [f"{incident.number} Docking station dead"]


def test_a_commit_that_fails_at_its_last_insert_keeps_nothing_and_the_next_writes_its_own(
    db, make_user
):
    opened_before = db.session.scalar(select(func.sum(DailyRollup.opened))) or 0
    first = open_one(db, make_user, "Printer on fire")
    first_id = first.id
    enqueue_on_commit("test.commit_writes", {"not json": object()})
    with pytest.raises(Exception, match="JSON|serializ"):
        db.session.commit()
    db.session.rollback()
    assert db.session.get(Incident, first_id) is None
    assert written(db, first_id) == {"facts": 0, "documents": 0}
    second = open_one(db, make_user, "Printer out of toner")
    db.session.commit()
    assert written(db, second.id) == {"facts": 1, "documents": 1}
    titles = select(SearchDocument.title).where(SearchDocument.source == "ticket")
    assert db.session.scalars(titles).all() == [f"{second.number} Printer out of toner"]
    assert db.session.scalar(select(func.sum(DailyRollup.opened))) == opened_before + 1


def test_a_document_held_for_the_commit_is_written_before_its_table_is_read(db, backend, make_user):
    """A ticket changed again after its new document was held (a second pass of the index in
    the same commit) is looked up with the held row written first: one document, the last
    text, not two."""
    from sqlalchemy import event

    from app.extensions import db as extension

    incident = open_one(db, make_user, "Scanner jams")
    changed = []

    def change_again(session) -> None:
        if not changed and not session.in_nested_transaction():
            changed.append(True)
            incident.short_description = "Scanner jams on page two"
            session.flush()
            from app.search.index import refresh

            refresh(session)

    # After the index's own listener (which held the new document on PostgreSQL), before the
    # outbox's writer would send it.
    from app.outbox import services as outbox

    event.listen(extension.session, "before_commit", change_again)
    outbox.reinstall()
    try:
        db.session.commit()
    finally:
        event.remove(extension.session, "before_commit", change_again)
        outbox.reinstall()
    assert changed == [True]
    documents = select(SearchDocument.title).where(
        SearchDocument.source == "ticket", SearchDocument.source_id == incident.id
    )
    assert db.session.scalars(documents).all() == [f"{incident.number} Scanner jams on page two"]
