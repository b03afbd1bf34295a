"""CMDB import and export pages end to end: downloads with the list's filters for people who
browse, the admin's upload → dry run report → import, errors as a table (422), a file over
the limit (413), CSRF, and staged files that only their uploader can import."""

from __future__ import annotations

import csv
import gc
import io
import re

import pytest
from sqlalchemy import func, select

from app.cmdb.models import CIRelation, ConfigurationItem

GOOD = (
    b"name,class,environment,location\n"
    b"crm-app-01,application,production,\n"
    b"crm-db-01,database,production,Lyon\n"
)
BAD = (
    b"name,class,environment\n"
    b"crm-app-01,aplication,production\n"
    b"crm-db-01,database,moon\n"
    b",database,\n"
)


def body(response) -> str:
    return response.get_data(as_text=True)


def count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(ConfigurationItem))


def upload(client, data: bytes, filename: str = "estate.csv", **extra):
    return client.post("/cmdb/import", {"file": (io.BytesIO(data), filename), **extra})


def apply_fields(page: str) -> dict[str, str]:
    return dict(re.findall(r'name="(token|filename|kind)" type="hidden" value="([^"]*)"', page))


@pytest.fixture
def estate(make_ci, relate):
    esx = make_ci("esx-01", "server", environment="production")
    vm = make_ci("vm-01", "virtual_machine", environment="test")
    relate(vm, "runs_on", esx)


def test_people_who_browse_download_exports_with_the_lists_filters(signed_in, estate):
    client, _ = signed_in("agent", "employee")
    page = body(client.get("/cmdb/?environment=production"))
    assert "/cmdb/export?kind=cis&amp;format=csv&amp;environment=production" in page
    assert "/cmdb/import" not in page  # agents do not import
    response = client.get("/cmdb/export?kind=cis&format=csv&environment=production")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert 'filename="cmdb-cis.csv"' in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(body(response))))
    assert [r["name"] for r in rows] == ["esx-01"]
    relations = client.get("/cmdb/export?kind=relations&format=json").get_json()
    assert relations == {
        "relations": [
            {"source": "vm-01", "source_class": "virtual_machine", "type": "runs_on",
             "target": "esx-01", "target_class": "server"}
        ]
    }  # fmt: skip
    everything = client.get("/cmdb/export?kind=all&format=json").get_json()
    assert (len(everything["cis"]), len(everything["relations"])) == (2, 1)
    for query in ("kind=all&format=csv", "kind=people", "format=xml", "status=broken"):
        assert client.get(f"/cmdb/export?{query}").status_code == 400, query


def test_employees_neither_export_nor_import(signed_in):
    client, _ = signed_in("employee")
    assert client.get("/cmdb/export").status_code == 403
    assert client.get("/cmdb/import").status_code == 403
    client.post("/logout")
    client, _ = signed_in("agent", "employee")
    assert client.get("/cmdb/import").status_code == 403
    assert upload(client, GOOD).status_code == 403


def test_an_admin_checks_a_file_then_imports_it(db, signed_in):
    client, admin = signed_in("admin", "employee")
    assert 'href="/cmdb/import"' in body(client.get("/cmdb/"))
    assert client.get("/cmdb/import").status_code == 200
    checked = upload(client, GOOD)
    page = body(checked)
    assert checked.status_code == 200
    assert "estate.csv is valid: 2 CIs to create, 0 to update, 0 unchanged" in page
    assert count(db) == 0  # the dry run wrote nothing
    fields = apply_fields(page)
    assert set(fields) == {"token", "filename", "kind"}

    imported = client.post("/cmdb/import/apply", fields)
    assert imported.status_code == 302
    assert imported.location.endswith("/cmdb/")
    assert "Imported estate.csv: 2 CIs created" in body(client.get("/cmdb/"))
    assert count(db) == 2
    db_ci = db.session.scalar(
        select(ConfigurationItem).where(ConfigurationItem.name == "crm-db-01")
    )
    history = body(client.get(f"/cmdb/{db_ci.id}"))
    assert admin.display_name in history
    assert "import of estate.csv" in history  # the history says why the CI changed
    # The staged file is gone once imported.
    assert client.post("/cmdb/import/apply", fields).status_code == 404


def test_every_error_is_shown_with_its_line_and_column_and_nothing_is_written(db, signed_in):
    client, _ = signed_in("admin")
    response = upload(client, BAD)
    assert response.status_code == 422
    page = body(response)
    rows = re.findall(
        r"<tr><td[^>]*>([^<]*)</td><td><code>([^<]*)</code></td><td>([^<]*)</td>", page
    )
    assert [(line, column) for line, column, _ in rows] == [
        ("2", "class"),
        ("3", "environment"),
        ("4", "name"),
    ]
    assert "Unknown class “aplication”" in rows[0][2]
    assert "3 errors in 3 rows; nothing was imported" in page
    assert 'name="token"' not in page
    assert count(db) == 0


def test_unreadable_and_oversized_files_get_a_specific_message_never_a_500(
    db, app, signed_in, monkeypatch
):
    client, _ = signed_in("admin")
    not_utf8 = upload(client, b"name,class\nserveur-\xe9t\xe9,server\n")
    assert not_utf8.status_code == 422
    assert "not UTF-8 text" in body(not_utf8)
    assert "Unknown column" in body(upload(client, b"name,class,colour\nx,server,red\n"))
    assert "Not valid JSON" in body(upload(client, b'{"cis": [', "estate.json"))
    missing = client.post("/cmdb/import", {"kind": "cis"})
    assert missing.status_code == 422
    assert "Choose a CSV or JSON file." in body(missing)
    monkeypatch.setitem(app.config, "CMDB_IMPORT_MAX_BYTES", 100)
    too_big = upload(client, GOOD * 10)
    assert too_big.status_code == 413
    assert f"The file is {len(GOOD * 10):,} bytes; the limit is 100 bytes." in body(too_big)
    no_csrf = client.post("/cmdb/import", {"file": (io.BytesIO(GOOD), "estate.csv")}, csrf=False)
    assert no_csrf.status_code == 400
    assert count(db) == 0


# The test client spools a body this large to a temporary file it leaves to the GC.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_an_upload_over_the_default_limit_says_its_real_size(db, signed_in):
    client, _ = signed_in("admin")
    eleven_mb = GOOD + b"x" * (11 * 2**20 - len(GOOD))
    refused = upload(client, eleven_mb)
    assert refused.status_code == 413
    assert "The file is 11 MB; the limit is 10 MB." in body(refused)
    del refused
    gc.collect()


def test_the_import_page_documents_the_csv_cell_limit_it_enforces(db, signed_in):
    client, _ = signed_in("admin")
    help_text = body(client.get("/cmdb/import"))
    assert "A cell holds at most 131,072 characters (128 KiB)" in help_text
    long_cell = GOOD + b"crm-web-01,application,production," + b"x" * (128 * 1024 + 1) + b"\n"
    refused = upload(client, long_cell)
    assert refused.status_code == 422
    rows = re.findall(
        r"<tr><td[^>]*>([^<]*)</td><td><code>[^<]*</code></td><td>([^<]*)</td>", body(refused)
    )
    assert rows == [("4", rows[0][1])]
    assert "longer than 131,072 characters (128 KiB)" in rows[0][1]
    unclosed = upload(client, GOOD + b'crm-web-01,application,"production,\nmore,rows,here\n')
    assert unclosed.status_code == 422
    assert "never closed" in body(unclosed)
    assert count(db) == 0


def test_a_checked_file_is_imported_only_by_its_uploader_and_checked_again(
    db, client, make_user, make_ci
):
    make_user("root1", roles=["admin"])
    make_user("root2", roles=["admin"])
    client.login("root1")
    fields = apply_fields(body(upload(client, GOOD)))
    client.post("/logout")
    client.login("root2")
    assert client.post("/cmdb/import/apply", fields).status_code == 404
    assert client.post("/cmdb/import/apply", {**fields, "token": "../../etc"}).status_code == 422
    client.post("/logout")
    client.login("root1")
    make_ci("crm-db-01", "database", environment="test")  # changed meanwhile: now an update
    done = client.post("/cmdb/import/apply", fields)
    assert done.status_code == 302
    assert count(db) == 2
    assert db.session.scalar(select(func.count()).select_from(CIRelation)) == 0
    changed = db.session.scalar(
        select(ConfigurationItem).where(ConfigurationItem.name == "crm-db-01")
    )
    db.session.refresh(changed)
    assert (changed.environment, changed.location) == ("production", "Lyon")
