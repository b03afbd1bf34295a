"""``flask attachments migrate``: every blob moves between the database and the directory and
back with every byte (sha256) intact, a second run moves nothing, an interrupted run carries on
where it stopped, and a missing or damaged source is reported and left where it is."""

# The incident fixtures are imported by name, so arguments of that name redefine them.
# ruff: noqa: F811

from __future__ import annotations

import hashlib
import os

import pytest
from sqlalchemy import select

from app import files
from app.files import moving
from app.files.blobs import path_for
from app.files.models import Location, StoredFile
from app.tickets import attachments
from tests.incidents.conftest import make_incident  # noqa: F401  (fixture)


@pytest.fixture
def stored(app, make_incident, db, tmp_path, monkeypatch) -> dict[str, str]:
    """Five attachments and one staged file, committed in the database: key → sha256. The
    directory backend's folder is the test's own."""
    monkeypatch.setitem(app.config, "ATTACHMENT_STORE", "database")
    monkeypatch.setitem(app.config, "ATTACHMENTS_DIR", str(tmp_path / "attachments"))
    incident = make_incident()
    for size in (1, 10, 1000, 100_000, 300_000):
        attachments.store_bytes(
            incident,
            data=os.urandom(size),
            filename=f"file-{size}.bin",
            content_type=None,
            uploader=None,
            internal=False,
        )
    files.put(b"name,class\n", key="cmdb-import-1-" + "a" * 32)
    db.session.commit()
    return dict(db.session.execute(select(StoredFile.key, StoredFile.sha256)).all())


def migrate(app, target: str, *more: str):
    return app.test_cli_runner().invoke(args=["attachments", "migrate", "--to", target, *more])


def contents(db) -> dict[str, str]:
    """key → sha256 of the bytes where each blob now is, read from there."""
    db.session.expire_all()
    keys = db.session.scalars(select(StoredFile.key)).all()
    return {key: hashlib.sha256(files.read(key) or b"").hexdigest() for key in keys}


def places(db) -> set[Location]:
    db.session.expire_all()
    return set(db.session.scalars(select(StoredFile.location)))


def test_database_to_directory_and_back_keeps_every_byte(app, db, stored, tmp_path):
    result = migrate(app, "directory")
    assert result.exit_code == 0, result.output
    assert "6 file(s) moved to the directory" in result.output
    assert "database: 0, directory: 6" in result.output
    assert places(db) == {Location.DIRECTORY}
    assert contents(db) == stored
    for key, digest in stored.items():  # the bytes are the files now, not the rows
        assert hashlib.sha256(path_for(key).read_bytes()).hexdigest() == digest
        assert db.session.get(StoredFile, key).data is None

    again = migrate(app, "directory")
    assert again.exit_code == 0, again.output
    assert "0 file(s) moved to the directory" in again.output

    back = migrate(app, "database")
    assert back.exit_code == 0, back.output
    assert "6 file(s) moved to the database" in back.output
    assert places(db) == {Location.DATABASE}
    assert contents(db) == stored
    assert [p for p in (tmp_path / "attachments").rglob("*") if p.is_file()] == []
    assert "0 file(s) moved" in migrate(app, "database").output


def test_an_interrupted_move_carries_on_where_it_stopped(app, db, stored):
    report = moving.MoveReport()
    steps = moving.batches(Location.DIRECTORY, report, size=2)
    assert next(steps) == 2
    db.session.commit()  # the first batch is done
    assert next(steps) == 2
    db.session.rollback()  # the process dies before the second batch commits
    steps.close()
    assert places(db) == {Location.DATABASE, Location.DIRECTORY}
    assert contents(db) == stored  # every blob still readable in the middle

    result = migrate(app, "directory", "--batch-size", "2")
    assert result.exit_code == 0, result.output
    assert "4 file(s) moved to the directory" in result.output
    assert places(db) == {Location.DIRECTORY}
    assert contents(db) == stored


def test_files_left_by_an_interrupted_move_to_the_database_are_swept(app, db, stored):
    assert migrate(app, "directory").exit_code == 0
    report = moving.MoveReport()
    steps = moving.batches(Location.DATABASE, report, size=3)
    next(steps)
    # Committed, but the process died before removing the files it had copied.
    from app.outbox import transaction

    db.session.info.pop(transaction.ON_COMMIT)
    db.session.commit()
    steps.close()
    leftovers = [key for key in stored if path_for(key).exists()]
    assert len(leftovers) == 6

    result = migrate(app, "database")
    assert result.exit_code == 0, result.output
    assert "3 file(s) moved to the database" in result.output
    assert "3 leftover file(s) removed" in result.output
    assert not any(path_for(key).exists() for key in stored)
    assert contents(db) == stored


def test_a_missing_or_damaged_file_is_reported_and_kept_where_it_was(app, db, stored):
    assert migrate(app, "directory").exit_code == 0
    missing, damaged, *_ = sorted(stored)
    path_for(missing).unlink()
    path_for(damaged).write_bytes(b"not what was uploaded")

    result = migrate(app, "database")
    assert result.exit_code == 1
    assert "4 file(s) moved to the database" in result.output
    assert "1 missing, 1 damaged" in result.output
    assert f"missing: {missing}" in result.output
    assert f"damaged (sha256 differs): {damaged}" in result.output
    db.session.expire_all()
    for key in (missing, damaged):
        assert db.session.get(StoredFile, key).location is Location.DIRECTORY
    assert path_for(damaged).read_bytes() == b"not what was uploaded"  # kept for a human
    moved = {k: v for k, v in contents(db).items() if k not in (missing, damaged)}
    assert moved == {k: v for k, v in stored.items() if k not in (missing, damaged)}


def test_status_counts_the_files_in_each_place(app, db, stored):
    result = app.test_cli_runner().invoke(args=["attachments", "status"])
    assert result.exit_code == 0, result.output
    assert "database: 6, directory: 0" in result.output


def test_the_upgrade_keeps_existing_files_readable_where_they_are(fresh_database_url, tmp_path):
    """Before the store, files lived under the instance folder: the upgrade gives each a row
    that points there, the migrate command moves it into the database, and the downgrade
    refuses while a blob is in the database."""
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import text

    from app.extensions import db
    from tests.conftest import build_app
    from tests.test_migrations import INSERT_TICKET

    app = build_app(fresh_database_url, tmp_path / "instance")
    data = os.urandom(5000)
    key = "0f" + "1" * 30
    path = tmp_path / "instance" / "attachments" / key[:2] / key
    path.parent.mkdir(parents=True)
    path.write_bytes(data)
    with app.app_context():
        upgrade(revision="5b8e2c4f7a19")  # the revision before stored_files
        now = "2026-11-30 10:00:00+00:00"
        with db.engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO users (id, username, display_name, is_active, source, version,"
                    " created_at, updated_at) VALUES (1, 'ann', 'Ann', true, 'local', 1, :t, :t)"
                ),
                {"t": now},
            )
            connection.execute(text(INSERT_TICKET), {"i": 100, "n": "INC100", "t": now})
            connection.execute(
                text(
                    "INSERT INTO attachments (ticket_id, filename, content_type, size, sha256,"
                    " storage_key, internal, created_at) VALUES (100, 'scan.pdf',"
                    " 'application/pdf', :size, :sha, :key, false, :t)"
                ),
                {"size": len(data), "sha": hashlib.sha256(data).hexdigest(), "key": key, "t": now},
            )
        upgrade()
        assert files.read(key) == data
        assert db.session.get(StoredFile, key).location is Location.DIRECTORY
        db.session.remove()

        result = migrate(app, "database")
        assert result.exit_code == 0, result.output
        assert "1 file(s) moved to the database" in result.output
        assert not path.exists()
        assert files.read(key) == data
        db.session.remove()
        with pytest.raises(SystemExit):  # Flask-Migrate logs the reason and exits
            downgrade(revision="5b8e2c4f7a19")
        assert files.read(key) == data
        db.session.remove()
        assert migrate(app, "directory").exit_code == 0
        downgrade(revision="5b8e2c4f7a19")
        assert path.read_bytes() == data
        upgrade()
        db.engine.dispose()
