"""Backup and restore as docs/deploy.md says: ``pg_dump --format=custom`` of a small desk,
``pg_restore`` into an empty database, and the restored desk works: migrations at head, people
sign in, tickets, their attachments' bytes and the CMDB are all there."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import create_engine, func, select, text

from tests.conftest import PASSWORD, POSTGRES_URL, build_app, migrate

pytestmark = pytest.mark.slow

EXTENSIONS = ("pg_trgm", "unaccent")
CONTENT = bytes(range(256)) * 257  # not text, not compressible to nothing


def libpq(url: str) -> str:
    """A SQLAlchemy URL as pg_dump/pg_restore read it."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1).split("?", 1)[0]


def schema_of(url: str) -> str:
    options = parse_qs(urlsplit(url).query)["options"][0]
    return options.split("search_path=", 1)[1]


def seed(app: Any) -> str:
    from app.auth import services
    from app.auth.models import Role
    from app.cmdb.models import CIClass, ConfigurationItem
    from app.extensions import db
    from app.incidents import services as incidents
    from app.tickets.attachments import store_bytes

    with app.app_context():
        agent = services.create_local_user(
            username="ann", password=PASSWORD, roles=[Role.AGENT], display_name="Ann Agent"
        )
        incident = incidents.open_incident(
            caller=agent, opened_by=agent, short_description="Backups matter"
        )
        store_bytes(
            incident, data=CONTENT, filename="dump.bin", content_type=None, uploader=agent,
            internal=False,
        )  # fmt: skip
        ci_class = db.session.scalars(select(CIClass).order_by(CIClass.id)).first()
        db.session.add(ConfigurationItem(name="backup-server", class_id=ci_class.id))
        db.session.commit()
        number = incident.number
        db.session.remove()
        db.engine.dispose()
        return number


def test_a_dump_restores_into_an_empty_database_that_works(backend, fresh_database_url, tmp_path):
    if backend != "postgresql":
        pytest.skip("the backup guide is pg_dump's; a SQLite desk is one file to copy")
    if not shutil.which("pg_dump") or not shutil.which("pg_restore"):
        pytest.fail("pg_dump and pg_restore are needed (Debian's postgresql-client)")
    app = build_app(fresh_database_url, tmp_path / "original")
    migrate(app)
    number = seed(app)
    schema = schema_of(fresh_database_url)
    dump = tmp_path / "desk.dump"
    env = {**os.environ, "PGCONNECT_TIMEOUT": "10"}
    subprocess.run(  # noqa: S603
        ["pg_dump", "--format=custom", f"--schema={schema}", f"--file={dump}",
         libpq(POSTGRES_URL)],
        check=True, env=env, capture_output=True, timeout=120,
    )  # fmt: skip
    assert dump.stat().st_size > len(CONTENT)

    database = f"dg_restore_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{database}"'))
    base = POSTGRES_URL.rsplit("/", 1)[0]
    # The test dumps its own schema, not the whole database: the extensions the search
    # migration installs in ``public`` (a whole-database dump carries them) come first.
    fresh = create_engine(f"{base}/{database}", isolation_level="AUTOCOMMIT")
    with fresh.connect() as connection:
        for extension in EXTENSIONS:
            connection.execute(text(f"CREATE EXTENSION IF NOT EXISTS {extension} SCHEMA public"))
    fresh.dispose()
    restored_url = f"{base}/{database}?options=-csearch_path%3D{schema}"
    try:
        restore = subprocess.run(  # noqa: S603
            ["pg_restore", "--no-owner", f"--dbname={libpq(restored_url)}", str(dump)],
            env=env, capture_output=True, timeout=120, check=False,
        )  # fmt: skip
        assert restore.returncode == 0, restore.stderr.decode()
        _check_restored(restored_url, tmp_path / "restored", number)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()


def _check_restored(url: str, instance: Path, number: str) -> None:
    from app.cmdb.models import ConfigurationItem
    from app.doctor import OK, run_checks
    from app.extensions import db
    from app.incidents.models import Incident
    from app.tickets.models import Attachment

    restored = build_app(url, instance)
    with restored.app_context():
        try:
            found = {f.name: f.status for f in run_checks(restored)}
            assert found["database"] == OK
            assert found["migrations"] == OK
            incident = db.session.scalar(select(Incident).where(Incident.number == number))
            assert incident is not None
            attachment = db.session.scalars(
                select(Attachment).where(Attachment.ticket_id == incident.id)
            ).one()
            client = restored.test_client()
            page = client.get("/login")
            token = (
                page.get_data(as_text=True)
                .split('name="csrf_token" type="hidden" value="')[1]
                .split('"')[0]
            )
            signed_in = client.post(
                "/login", data={"username": "ann", "password": PASSWORD, "csrf_token": token}
            )
            assert signed_in.status_code == 302
            download = client.get(f"/incidents/{number}/attachments/{attachment.id}")
            assert download.status_code == 200
            assert download.data == CONTENT
            cis = db.session.scalar(
                select(func.count())
                .select_from(ConfigurationItem)
                .where(ConfigurationItem.name == "backup-server")
            )
            assert cis == 1
        finally:
            db.session.remove()
            db.engine.dispose()
