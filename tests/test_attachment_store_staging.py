"""CMDB import files staged in the shared store: the dry run on one node and the import on
another (two applications on one database), on both backends; staged files expire and are
purged."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.cmdb.transfer import staging
from app.extensions import db as _db
from app.files.models import StoredFile
from tests.conftest import Client, build_app, migrate

GOOD = (
    b"name,class,environment,location\n"
    b"crm-app-01,application,production,\n"
    b"crm-db-01,database,production,Lyon\n"
)


def _apply_fields(page: str) -> dict[str, str]:
    return dict(re.findall(r'name="(token|filename|kind)" type="hidden" value="([^"]*)"', page))


def _count(app, model) -> int:
    with app.app_context():
        try:
            return _db.session.scalar(select(func.count()).select_from(model))
        finally:
            _db.session.remove()


@pytest.mark.parametrize("store", ["database", "directory"])
def test_a_file_checked_on_one_node_is_imported_on_another(store, fresh_database_url, tmp_path):
    from app.auth import services
    from app.auth.models import Role
    from app.cmdb.models import ConfigurationItem
    from tests.conftest import PASSWORD

    shared = {"DESKGRAPH_ATTACHMENT_STORE": store}
    if store == "directory":  # the directory backend needs a folder both nodes mount
        shared["DESKGRAPH_ATTACHMENTS_DIR"] = str(tmp_path / "shared-mount")
    first = build_app(fresh_database_url, tmp_path / "node-1", **shared)
    second = build_app(fresh_database_url, tmp_path / "node-2", **shared)
    try:
        migrate(first)
        with first.app_context():
            services.create_local_user(
                username="root", display_name="Root", password=PASSWORD, roles=[Role.ADMIN]
            )
            _db.session.commit()
            _db.session.remove()

        node_1, node_2 = Client(first.test_client()), Client(second.test_client())
        node_1.login("root")
        checked = node_1.post("/cmdb/import", {"file": (io.BytesIO(GOOD), "estate.csv")})
        assert checked.status_code == 200
        fields = _apply_fields(checked.get_data(as_text=True))
        assert _count(second, StoredFile) == 1  # staged where the other node sees it

        node_2.login("root")
        imported = node_2.post("/cmdb/import/apply", fields)
        assert imported.status_code == 302, imported.get_data(as_text=True)[:500]
        assert _count(second, ConfigurationItem) == 2
        assert _count(first, StoredFile) == 0  # gone with the import's commit
        assert node_1.post("/cmdb/import/apply", fields).status_code == 404
        if store == "directory":
            assert [p for p in (tmp_path / "shared-mount").rglob("*") if p.is_file()] == []
    finally:
        for application in (first, second):
            with application.app_context():
                _db.engine.dispose()


def test_staged_files_expire_and_are_purged_at_the_next_upload(
    attachment_store, app, db, monkeypatch
):
    old = staging.stage(b"old", user_id=7)
    db.session.commit()
    assert staging.load(old, 7) == b"old"
    assert staging.load(old, 8) is None  # someone else's token
    assert staging.load("../../etc/passwd", 7) is None
    db.session.get(StoredFile, f"cmdb-import-7-{old}").expires_at -= staging.KEEP + timedelta(
        seconds=1
    )
    db.session.commit()
    assert staging.load(old, 7) is None  # expired
    new = staging.stage(b"new", user_id=7)
    db.session.commit()
    keys = set(db.session.scalars(select(StoredFile.key)))
    assert keys == {f"cmdb-import-7-{new}"}
    if attachment_store == "directory":
        from app.files.blobs import path_for

        assert not path_for(f"cmdb-import-7-{old}").exists()
        assert path_for(f"cmdb-import-7-{new}").read_bytes() == b"new"
