"""Inserts that wait for the commit and go together: on PostgreSQL, one statement.

Just before a commit the session hooks end with inserts of a few rows that nothing in the
transaction reads again: a ticket's report facts and the rollups they move, a new ticket's
search document, the outbox messages the hooks asked for. Each was a round trip of its own.

From the first ``before_commit`` listener on (:func:`install` puts one first), :func:`hold`
keeps such an insert instead of running it. The outbox writer runs its own statement with
:func:`run_with`, which puts the held inserts ahead of it as data-modifying ``WITH`` s: one
round trip for all of them. What is still held then is run by the last listener of this
module (attached where :func:`install` is called: after the outbox writer). A reader of a
table that may have held rows calls :func:`release` first: a held row is not in its table
yet. A rollback forgets what is held; inside a SAVEPOINT nothing is held, and what a SAVEPOINT
rolled back had run of the held inserts is held again.

SQLite has no data-modifying ``WITH``: nothing is held there, each insert runs at once. Nor
is anything held outside the commit (a service's own writes run where it asks for them).
A combined statement is built once per shape (its statements, their numbers of rows and
columns) and cached, as SQLAlchemy caches its compiled form.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from sqlalchemy import Result, bindparam, event, select, union_all
from sqlalchemy.orm import Session

from app.db import inside, is_postgresql, listen_once, rolled_back_savepoint, unlisten

HELD = "commit_writes_held"
RELEASED = "commit_writes_released"  # what a SAVEPOINT ran of the held inserts, by SAVEPOINT
MOST_ROWS = 40  # at most this many rows are written as one statement
ROWS_PER_STATEMENT = 5000  # the most rows of one insert run at a time, one by one
Write = tuple[Any, list[dict[str, Any]]]  # an insert (compiled once) and its rows


def hold(session: Session, *writes: Write) -> bool:
    """Keep ``writes`` (each an insert and its rows: a dictionary of values by column each,
    the same columns in each) for the commit, when the session is committing on PostgreSQL;
    whether they were kept (else the caller runs them). Inside a SAVEPOINT nothing is kept:
    the inserts are the SAVEPOINT's, and go with it if it is rolled back."""
    held: list[Write] | None = session.info.get(HELD)
    if held is None or session.in_nested_transaction():
        return False
    held.extend((statement, rows) for statement, rows in writes if rows)
    return True


def release(session: Session, table: Any = None) -> None:
    """Run what is held now (before reading ``table``: only when something held writes it).
    Run inside a SAVEPOINT, it is held again if the SAVEPOINT is rolled back."""
    held: list[Write] | None = session.info.get(HELD)
    if not held or (table is not None and all(s.table is not table for s, _rows in held)):
        return
    session.info[HELD] = []
    savepoint = session.get_nested_transaction()
    if savepoint is not None:
        session.info.setdefault(RELEASED, []).append((savepoint, held))
    run(session, held)


def run(session: Session, writes: list[Write]) -> None:
    """Run ``writes`` in their order: as one statement on PostgreSQL when they are a few rows
    of different tables, else one by one."""
    writes = [(statement, rows) for statement, rows in writes if rows]
    if not writes:
        return
    if len(writes) > 1 and _combinable(session, writes):
        shape, values = _shape(writes)
        session.execute(_combined(shape, None), values)
        return
    for statement, rows in writes:
        for start in range(0, len(rows), ROWS_PER_STATEMENT):
            session.execute(statement, rows[start : start + ROWS_PER_STATEMENT])


def run_with(session: Session, statement: Any, params: dict[str, Any]) -> Result[Any]:
    """Run ``statement`` (an insert that returns rows, its own parameters named unlike
    ``w<n>_<n>_<column>``) with what is held ahead of it, in one statement when it can be;
    its result."""
    held: list[Write] = session.info.get(HELD) or []
    if held:
        session.info[HELD] = []
        if _combinable(session, held, statement.table):
            shape, values = _shape(held)
            return session.execute(_combined(shape, statement), {**values, **params})
        run(session, held)
    return session.execute(statement, params)


def _combinable(session: Session, writes: list[Write], also: Any = None) -> bool:
    tables = [statement.table for statement, _rows in writes]
    if also is not None:
        tables.append(also)
    return (
        len(set(tables)) == len(tables)  # a row is never written twice by one statement
        and sum(len(rows) for _statement, rows in writes) <= MOST_ROWS
        and is_postgresql(session)
    )


Shape = tuple[tuple[Any, int, tuple[str, ...]], ...]


def _shape(writes: list[Write]) -> tuple[Shape, dict[str, Any]]:
    shape = tuple((statement, len(rows), tuple(rows[0])) for statement, rows in writes)
    values = {
        f"w{i}_{j}_{name}": value
        for i, (_statement, rows) in enumerate(writes)
        for j, row in enumerate(rows)
        for name, value in row.items()
    }
    return shape, values


@lru_cache(maxsize=256)
def _combined(shape: Shape, last: Any) -> Any:
    """The writes of ``shape`` (each statement with how many rows of which columns), each
    value the parameter ``w<write>_<row>_<column>``, as one statement: each a data-modifying
    ``WITH`` of ``last`` (which runs as it is), or, without ``last``, each but the first a
    ``WITH`` of the first. The rows are an ``INSERT ... SELECT`` (a multi-row ``VALUES`` is
    compiled again at each run: SQLAlchemy does not cache it). The statements hash by
    identity: they are built once."""
    parts = []
    for i, (statement, count, names) in enumerate(shape):
        columns = statement.table.c
        rows = [
            select(
                *(
                    bindparam(f"w{i}_{j}_{name}", type_=columns[name].type).label(name)
                    for name in names
                )
            )
            for j in range(count)
        ]
        parts.append(statement.from_select(names, rows[0] if count == 1 else union_all(*rows)))
    if last is None:
        last, *parts = parts
    # PostgreSQL runs the outer statement, then the data-modifying WITHs from the last added
    # to the first (an order it does not promise; tests/test_commit_writes.py checks it):
    # added in reverse, the inserts run in the order held, as they do one by one, so two
    # commits lock the rollup rows they share in one order (no deadlock). ``last`` (the
    # outbox's messages) runs first: its rows are new, no other commit waits for them.
    ctes = [part.cte(f"write_{i}") for i, part in enumerate(parts)]
    return last.add_cte(*reversed(ctes))


def _begin(session: Session) -> None:
    """The first ``before_commit`` listener: hold from now on (on PostgreSQL)."""
    if not session.in_nested_transaction() and is_postgresql(session):
        session.info.setdefault(HELD, [])


def _end(session: Session) -> None:
    """A ``before_commit`` listener after every one that holds: run what is left."""
    if session.in_nested_transaction():
        return  # a SAVEPOINT released inside the transaction: wait for the real commit
    held: list[Write] | None = session.info.pop(HELD, None)
    if held:
        run(session, held)


def _forget(session: Session, transaction: Any) -> None:
    if transaction.parent is None:  # the whole transaction ended: committed or not
        session.info.pop(HELD, None)
        session.info.pop(RELEASED, None)


def _hold_again(session: Session, previous_transaction: Any) -> None:
    """``after_soft_rollback``: what a SAVEPOINT rolled back ran of the held inserts is held
    again (the rows belong to the transaction around it)."""
    rolled_back = rolled_back_savepoint(previous_transaction)
    released = session.info.get(RELEASED)
    if rolled_back is None or not released:
        return
    undone = [writes for savepoint, writes in released if inside(savepoint, rolled_back)]
    session.info[RELEASED] = [
        (savepoint, writes) for savepoint, writes in released if not inside(savepoint, rolled_back)
    ]
    if undone and HELD in session.info:
        session.info[HELD][:0] = [write for writes in undone for write in writes]


_LAST: tuple[tuple[str, Callable[..., None]], ...] = (
    ("before_commit", _end),
    ("after_soft_rollback", _hold_again),
    ("after_transaction_end", _forget),
)


def install(target: Any) -> None:
    """Attach the listeners to ``target`` (``db.session``; idempotent): the one that starts
    holding first of all ``before_commit`` listeners, the one that runs what is left last so
    far (call it after attaching the outbox's writer, the last listener that holds)."""
    if not event.contains(target, "before_commit", _begin):
        event.listen(target, "before_commit", _begin, insert=True)
    listen_once(target, _LAST)


def uninstall(target: Any) -> None:
    """Detach them (benchmarks measure the hooks with and without holding)."""
    unlisten(target, (("before_commit", _begin), *_LAST))
