"""Why a CI changed when not by hand (an import, the demo) is stored as a message and read on
the CI's page in the reader's language; a reason stored before as plain English still shows."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from app.audit import AuditEvent
from app.cmdb.demo import REASON
from app.cmdb.models import ConfigurationItem
from app.cmdb.transfer.imports import import_file
from app.i18n.stored import english, is_stored
from app.imports.servicenow.importer import import_incidents
from app.imports.sheets import service as sheets
from tests.imports.servicenow_data import SAMPLE, read, write
from tests.imports.test_estate_sync import apply, estate

SWEDISH = {"Accept-Language": "sv"}


@pytest.fixture
def reader(signed_in):
    client, _agent = signed_in("agent", "employee")

    def read_page(ci: ConfigurationItem, headers: dict[str, str] | None = None) -> str:
        return client.get(f"/cmdb/{ci.id}", headers=headers or {}).get_data(as_text=True)

    return read_page


def named(db, name: str) -> ConfigurationItem:
    return db.session.scalar(select(ConfigurationItem).where(ConfigurationItem.name == name))


def reasons(db, ci: ConfigurationItem) -> list:
    return [
        changes["reason"]
        for changes in db.session.scalars(
            select(AuditEvent.changes).where(
                AuditEvent.object_type == "ci", AuditEvent.object_id == ci.id
            )
        )
        if "reason" in changes
    ]


def test_a_file_imports_reason_reads_in_the_readers_language(db, reader):
    data = b"name,class\nesx-why-1,server\n"
    report = import_file(data, filename="estate.csv", actor=None, dry_run=False)
    db.session.commit()
    assert report.created == 1
    host = named(db, "esx-why-1")
    assert all(is_stored(r) for r in reasons(db, host))
    assert "· import av estate.csv" in reader(host, SWEDISH)
    assert "· import of estate.csv" in reader(host)


def test_a_sheets_reason_reads_in_the_readers_language(db, reader, make_user):
    admin = make_user("sheetadmin", roles=["admin"])
    done = sheets.run_import(
        b"Hostname,CI type\nweb-why-1,Server\n", filename="hosts.csv", kind="cis",
        mapping=None, actor=admin, dry_run=False,
    )  # fmt: skip
    db.session.commit()
    assert done.counts["rows_created"] == 1
    web = named(db, "web-why-1")
    assert "· import av hosts.csv" in reader(web, SWEDISH)
    assert "· import of hosts.csv" in reader(web)


def test_an_estate_syncs_reason_reads_in_the_readers_language(db, reader):
    _result, run = apply(db, estate())
    router = named(db, "akron-rtr01")
    assert [english(r) for r in reasons(db, router)][0] == f"import run {run.id} from testbox"
    swedish = reader(router, SWEDISH)
    assert f"· importkörning {run.id} från testbox" in swedish
    assert f"import run {run.id}" not in swedish
    assert f"· import run {run.id} from testbox" in reader(router)


def test_a_servicenow_imports_reason_reads_in_the_readers_language(db, reader):
    header, rows = read(SAMPLE.read_text())
    one = [r for r in rows if r["number"] == "INC0000820"]  # names cmdb_ci 31
    run = import_incidents(io.BytesIO(write(header, one)), "log.csv")
    db.session.commit()
    ci = named(db, "cmdb_ci 31")
    swedish = reader(ci, SWEDISH)
    assert f"· Importerad från ServiceNow (importkörning {run.id})." in swedish
    assert f"· Imported from ServiceNow (import run {run.id})." in reader(ci)


def test_the_demos_reason_reads_in_the_readers_language(reader, make_ci):
    host = make_ci("esx-demo-why", "server", reason=REASON)
    assert "· demodata" in reader(host, SWEDISH)
    assert "· demo data" in reader(host)


def test_a_reason_stored_as_text_before_shows_as_it_is(reader, make_ci):
    host = make_ci("esx-old-why", "server", reason="import of <old>.csv")
    assert "· import of &lt;old&gt;.csv" in reader(host, SWEDISH)
    assert "· import of &lt;old&gt;.csv" in reader(host)


def test_an_attribute_deleted_reads_in_the_readers_language(db, reader, make_ci, ci_class):
    from app.cmdb.classes import services as class_services
    from app.cmdb.classes.attributes import delete_attribute

    definition = class_services.add_attribute(
        actor=None, ci_class=ci_class("server"), name="rack", label="Rack", type_="string"
    )
    db.session.commit()
    host = make_ci("esx-attr-why", "server", attributes={"rack": "R12"})
    delete_attribute(definition, actor=None, confirm="rack")
    db.session.commit()
    assert [english(r) for r in reasons(db, host)] == ["attribute rack deleted"]
    assert "· attributet rack togs bort" in reader(host, SWEDISH)
    assert "· attribute rack deleted" in reader(host)


def test_an_attribute_deleted_before_as_text_shows_as_it_is(reader, make_ci):
    host = make_ci("esx-attr-old", "server", reason="attribute rack deleted")
    assert "· attribute rack deleted" in reader(host, SWEDISH)
