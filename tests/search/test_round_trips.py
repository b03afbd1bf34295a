"""What a PostgreSQL search sends: a partial word's query, in every language, comes back
with the lexemes its prefixes stand for in one statement (it took two), so a search is the
words' statement, the query's, the count and the page."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event


def statements(app: Any, db: Any, run: Any) -> list[str]:
    sent: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        sent.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        with app.test_request_context():
            run()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return sent


@pytest.mark.parametrize("q", ["dockin", "stati", "dokcing"])
def test_a_search_sends_four_statements_and_still_finds_partial_words_and_typos(
    app, db, backend, make_user, make_incident, q
):
    from app.search import query

    if backend == "sqlite":
        pytest.skip("PostgreSQL's statements")
    agent = make_user(roles=["agent"])
    incident = make_incident(short_description="Docking station dead")
    query.search(agent, "warm")  # pg_trgm's presence is asked once per database
    results: list[Any] = []
    sent = statements(app, db, lambda: results.append(query.search(agent, q)))
    assert len(sent) == 4, sent
    titles = [h.document.title for h in results[0].hits]
    assert titles == [f"{incident.number} Docking station dead"]
