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
    from app.search.index import refresh

    incident = open_one(db, make_user, "Scanner jams")

    def change_again(session) -> None:
        incident.short_description = "Scanner jams on page two"
        session.flush()
        refresh(session)

    commit_with(db, change_again)
    documents = select(SearchDocument.title).where(
        SearchDocument.source == "ticket", SearchDocument.source_id == incident.id
    )
    assert db.session.scalars(documents).all() == [f"{incident.number} Scanner jams on page two"]


def test_inserts_sent_together_run_in_the_order_they_were_held(db, backend):
    """Two commits that write the same rollup rows must lock them in one order: together as
    one by one. PostgreSQL runs the outer statement first, then its data-modifying WITHs in
    an order it does not promise: this is the order the desk relies on."""
    if backend != "postgresql":
        pytest.skip("SQLite runs each insert at once, in order")
    from sqlalchemy import Column, Integer, MetaData, Table, insert, text

    from app import commit_writes

    session = db.session()
    session.execute(text("CREATE TEMPORARY TABLE ran (n serial, what text)"))
    tables = {}
    for name in ("first", "second", "third", "outbox"):
        session.execute(text(f"CREATE TEMPORARY TABLE {name} (x integer)"))
        session.execute(
            text(
                f"CREATE FUNCTION pg_temp.log_{name}() RETURNS trigger LANGUAGE plpgsql AS "
                f"$$ BEGIN INSERT INTO ran (what) VALUES ('{name}'); RETURN NEW; END $$"
            )
        )
        session.execute(
            text(
                f"CREATE TRIGGER log_{name} BEFORE INSERT ON {name} FOR EACH ROW "
                f"EXECUTE FUNCTION pg_temp.log_{name}()"
            )
        )
        tables[name] = Table(name, MetaData(), Column("x", Integer))
    held = [(insert(tables[name]), [{"x": 1}]) for name in ("first", "second", "third")]

    def ran() -> list[str]:
        order = session.scalars(text("SELECT what FROM ran ORDER BY n")).all()
        session.execute(text("DELETE FROM ran"))
        return order

    with count_queries() as sent:
        commit_writes.run(session, held)
    assert len(sent) == 1
    assert ran() == ["first", "second", "third"]
    session.info[commit_writes.HELD] = list(held)
    try:
        outbox = insert(tables["outbox"]).values(x=2).returning(tables["outbox"].c.x)
        assert commit_writes.run_with(session, outbox, {}).scalars().all() == [2]
    finally:
        session.info.pop(commit_writes.HELD, None)
    assert ran() == ["outbox", "first", "second", "third"]


def commit_with(db, action) -> None:
    """Commit, with ``action(session)`` run by a ``before_commit`` listener attached after the
    index's and before the outbox's writer (while the commit holds its last inserts)."""
    from sqlalchemy import event

    from app.extensions import db as extension
    from app.outbox import services as outbox

    done = []

    def listener(session) -> None:
        if not done and not session.in_nested_transaction():
            done.append(True)
            action(session)

    event.listen(extension.session, "before_commit", listener)
    outbox.reinstall()
    try:
        db.session.commit()
    finally:
        event.remove(extension.session, "before_commit", listener)
        outbox.reinstall()
    assert done == [True]


def test_what_a_rolled_back_savepoint_ran_of_the_held_inserts_is_held_again(db, backend, make_user):
    from app import commit_writes

    incident = open_one(db, make_user, "Monitor flickers")

    def release_in_a_savepoint_then_roll_it_back(session) -> None:
        savepoint = session.begin_nested()
        commit_writes.release(session)  # the facts and the document, inside the savepoint
        savepoint.rollback()

    commit_with(db, release_in_a_savepoint_then_roll_it_back)
    assert written(db, incident.id) == {"facts": 1, "documents": 1}


def test_an_insert_asked_for_inside_a_savepoint_goes_with_it(db, backend, make_user):
    from sqlalchemy import insert

    from app import commit_writes
    from app.search.index import DOCUMENTS

    incident = open_one(db, make_user, "Keyboard sticks")
    row = {
        "source": "test",
        "source_id": 1,
        "kind": "test",
        "ref": "T1",
        "language": "english",
        "title": "Rolled back",
        "body": "",
        "notes": "",
        "audience": "",
        "updated_at": incident.opened_at,
    }

    def hold_in_a_savepoint_then_roll_it_back(session) -> None:
        savepoint = session.begin_nested()
        if not commit_writes.hold(session, (insert(DOCUMENTS), [row])):
            session.execute(insert(DOCUMENTS), [row])
        savepoint.rollback()

    commit_with(db, hold_in_a_savepoint_then_roll_it_back)
    assert written(db, incident.id) == {"facts": 1, "documents": 1}
    test_documents = select(func.count()).where(SearchDocument.source == "test")
    assert db.session.scalar(test_documents) == 0
