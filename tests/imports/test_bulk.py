"""``app.bulk.insert_rows`` (``COPY`` on PostgreSQL) stores what ``insert(table)`` stores: the
values through each column's type (aware UTC times, the portable enums), and the Python-side
defaults of the columns a row leaves out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import cast

from sqlalchemy import Table, select

from app import bulk
from app.db import is_postgresql
from app.imports import runs
from app.imports.models import ExternalRef, ImportProblem, ProblemKind


def test_rows_written_in_bulk_read_back_as_the_orm_writes_them(db):
    run = runs.start("servicenow-incidents", "log.csv", sha256="b" * 64)
    db.session.flush()
    stockholm = timezone(timedelta(hours=1))
    bulk.insert_rows(
        cast(Table, ImportProblem.__table__),
        [
            {"run_id": run.id, "kind": ProblemKind.SKIPPED, "message": "Tab\there, a \\ too."},
            {"run_id": run.id, "kind": ProblemKind.NOT_CARRIED, "message": "Line\nbreak, ÅÄÖ."},
        ],
    )
    before = datetime.now(UTC)
    bulk.insert_rows(
        cast(Table, ExternalRef.__table__),
        [
            {
                "system": "servicenow",
                "kind": "person",
                "external_id": "Caller 1",
                "object_type": "user",
                "object_id": 7,
                "fingerprint": None,
                "run_id": run.id,
                "updated_at": datetime(2026, 3, 1, 9, 30, tzinfo=stockholm),
            }
        ],
    )
    db.session.expire_all()
    lines = db.session.scalars(select(ImportProblem).order_by(ImportProblem.id)).all()
    assert [(p.kind, p.where, p.column, p.message) for p in lines] == [
        (ProblemKind.SKIPPED, "", "", "Tab\there, a \\ too."),
        (ProblemKind.NOT_CARRIED, "", "", "Line\nbreak, ÅÄÖ."),
    ]
    ref = db.session.scalars(select(ExternalRef)).one()
    assert ref.updated_at == datetime(2026, 3, 1, 8, 30, tzinfo=UTC)
    assert ref.imported is True  # the column's default
    assert ref.created_at >= before - timedelta(seconds=5)  # utc_now, the column's default
    assert ref.created_at.tzinfo is not None


def test_ids_drawn_ahead_are_those_the_rows_keep(db):
    table = cast(Table, ImportProblem.__table__)
    run = runs.start("servicenow-incidents", "log.csv", sha256="c" * 64)
    db.session.flush()
    rows = [{"run_id": run.id, "kind": ProblemKind.ERROR, "message": f"{n}"} for n in range(3)]
    if is_postgresql(db.session):
        ids = bulk.next_ids(table, 3)
        assert len(set(ids)) == 3
        bulk.insert_rows(table, [{"id": i, **row} for i, row in zip(ids, rows, strict=True)])
        stored = dict(db.session.execute(select(ImportProblem.message, ImportProblem.id)).all())
        assert stored == {"0": ids[0], "1": ids[1], "2": ids[2]}
        runs.problem(run, ProblemKind.ERROR, "after")  # the sequence moved past them
        db.session.flush()
        assert max(db.session.scalars(select(ImportProblem.id))) > max(ids)
    else:
        bulk.insert_rows(table, rows)
        assert len(db.session.scalars(select(ImportProblem.id)).all()) == 3
