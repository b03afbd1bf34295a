"""iTop's exports read into an estate (pure: no database): the sample data sets with every
object accounted for, the mapping's relations and names, CSV exports, and bad files."""

from __future__ import annotations

import gzip
import io
import os
import xml.etree.ElementTree as ET
import zipfile
from collections import Counter
from pathlib import Path

import pytest

from app.i18n.stored import english
from app.imports.itop import mapping
from app.imports.itop.reader import Source, Unreadable, read, sources_from_zip

DATA = Path(
    os.environ.get(
        "DESKGRAPH_ITOP_DATA",
        Path(__file__).resolve().parents[3] / "shared/data/cmdb/itop-sample-data",
    )
)


def sample_sources() -> list[Source]:
    return [
        Source(str(p.relative_to(DATA)), p.read_bytes())
        for p in sorted(DATA.rglob("*"))
        if p.is_file()
    ]


def raw_objects() -> list[tuple[str, str, str, ET.Element]]:
    """(folder, class, id, element) of every object of the sample, read with the stdlib."""
    found = []
    for p in sorted(DATA.rglob("*.xml*")):
        data = gzip.decompress(p.read_bytes()) if p.suffix == ".gz" else p.read_bytes()
        for element in ET.fromstring(data):
            found.append((p.parent.name, element.tag, element.get("id"), element))
    return found


@pytest.fixture(scope="module")
def sample():
    if not DATA.is_dir():
        pytest.fail(f"the iTop sample data is missing: {DATA}", pytrace=False)
    return read(sample_sources())


def xml(*objects: str) -> bytes:
    return ("<?xml version='1.0' encoding='UTF-8'?><Set>" + "".join(objects) + "</Set>").encode()


def rel(reading) -> set[tuple[str, str, str]]:
    return {(r.source, r.type, r.target) for r in reading.estate.relations}


# --------------------------------------------------------------------------- the sample


def test_every_object_of_the_sample_is_read_and_accounted_for_once(sample):
    objects = raw_objects()
    assert sample.errors == []
    assert sample.estate.rows_read == len(objects)
    assert sum(sample.outcomes.values()) == len(objects)


def test_each_distinct_ci_of_the_sample_becomes_one_ci(sample):
    distinct = {(cls, i) for _, cls, i, _ in raw_objects() if cls in mapping.CI_CLASSES}
    assert sample.outcomes["ci"] == len(distinct)
    assert {ci.key for ci in sample.estate.cis} == {f"{c}::{i}" for c, i in distinct}


def test_objects_not_carried_have_a_line_each_with_the_reason(sample):
    persons = [e for _, cls, _, e in raw_objects() if cls == "Person"]
    lines = [n for n in sample.estate.notes if n.kind == "not_carried" and " Person " in n.where]
    assert len(lines) == len(persons)
    assert all("people import" in english(n.message) for n in lines)
    contracts = [n for n in sample.estate.notes if "CustomerContract" in n.where]
    assert contracts
    assert all("contracts" in english(n.message) for n in contracts if n.kind == "not_carried")


def test_identical_objects_of_two_module_folders_are_read_once(sample):
    # itop-service-mgmt and itop-service-mgmt-provider hold the same services
    services = [ci for ci in sample.estate.cis if ci.key.startswith("Service::")]
    raw = {i for _, cls, i, _ in raw_objects() if cls == "Service"}
    assert len(services) == len(raw)
    assert all(ci.ci_class == "business_service" for ci in services)


def test_virtualisation_relations_make_impact_sense(sample):
    relations = rel(sample)
    assert ("VirtualMachine::12", "runs_on", "Farm::7") in relations
    assert ("Hypervisor::9", "member_of", "Farm::7") in relations
    # hypervisors run on servers of another module's folder (ids resolved across files)
    assert ("Hypervisor::9", "runs_on", "Server::2") in relations
    assert ("DatabaseSchema::19", "runs_on", "DBServer::16") in relations
    assert ("ApplicationSolution::27", "depends_on", "WebApplication::26") in relations
    farm = next(ci for ci in sample.estate.cis if ci.key == "Farm::7")
    assert farm.fields["min_up"] == mapping.FARM_DEFAULT_MIN_UP


def test_an_id_two_modules_reuse_is_resolved_in_the_referring_folder(sample):
    # config-mgmt's Server 15 and virtualization-mgmt's VirtualMachine 15 share an id
    relations = rel(sample)
    assert ("ApplicationSolution::29", "depends_on", "Server::15") in relations
    assert ("ApplicationSolution::29", "depends_on", "VirtualMachine::15") not in relations
    assert ("WebServer::23", "runs_on", "Server::15") in relations


def test_links_that_reuse_an_id_with_other_ends_are_both_carried(sample):
    relations = rel(sample)
    assert ("ApplicationSolution::29", "depends_on", "Server::15") in relations
    assert ("ApplicationSolution::29", "depends_on", "WebServer::22") in relations


def test_colliding_names_are_told_apart_by_the_host_they_run_on(sample):
    names = {ci.key: ci.name for ci in sample.estate.cis}
    assert names["DBServer::17"] == "Oracle (Server2)"
    assert names["DBServer::18"] == "Oracle (VM3)"
    by_class = Counter((ci.ci_class, ci.name.lower()) for ci in sample.estate.cis)
    assert max(by_class.values()) == 1


def test_typology_is_folded_into_fields(sample):
    cis = {ci.key: ci for ci in sample.estate.cis}
    assert cis["Server::2"].fields["location"] == "Bordeaux"
    assert cis["Server::2"].fields["model"] == "DL380"
    assert cis["NetworkDevice::6"].attributes["device_type"] == "Switch"
    assert cis["DBServer::16"].attributes["software"] == "Oracle DB engine 19c"
    assert str(cis["Server::15"].fields["warranty_end"]) == "2025-07-29"
    servers = next(c for c in sample.estate.classes if c.name == "network_device")
    assert ("device_type", "string") in servers.attributes


def test_every_relation_joins_two_cis_of_the_estate_with_a_cmdb_type(sample):
    keys = {ci.key for ci in sample.estate.cis}
    types = {"depends_on", "runs_on", "member_of", "connected_to", "provides"}
    assert all(r.source in keys for r in sample.estate.relations)
    assert all(r.target in keys for r in sample.estate.relations)
    assert {r.type for r in sample.estate.relations} <= types
    assert len({r.key for r in sample.estate.relations}) == len(sample.estate.relations)


# --------------------------------------------------------------------------- shapes


def test_empty_names_are_named_after_class_and_id():
    reading = read([Source("a.xml", xml('<Server id="3"><name></name></Server>'))])
    assert [ci.name for ci in reading.estate.cis] == ["Server 3"]
    assert any(n.column == "name" for n in reading.estate.notes)


def test_colliding_names_without_hosts_take_the_organisation_then_the_id():
    reading = read(
        [
            Source(
                "a.xml",
                xml(
                    '<Organization id="1"><name>North</name></Organization>',
                    '<Organization id="2"><name>South</name></Organization>',
                    '<Server id="3"><name>db</name><org_id>1</org_id></Server>',
                    '<Server id="4"><name>DB</name><org_id>2</org_id></Server>',
                    '<Farm id="5"><name>c</name></Farm>',
                    '<Farm id="6"><name>c</name></Farm>',
                ),
            )
        ]
    )
    names = sorted(ci.name for ci in reading.estate.cis)
    assert names == ["DB (South)", "c (iTop Farm 5)", "c (iTop Farm 6)", "db (North)"]


def test_one_power_feed_is_a_dependency_and_two_are_a_notice():
    reading = read(
        [
            Source(
                "a.xml",
                xml(
                    '<PDU id="1"><name>pdu-a</name></PDU>',
                    '<PDU id="2"><name>pdu-b</name></PDU>',
                    '<Server id="3"><name>one</name><powerA_id>1</powerA_id></Server>',
                    '<Server id="4"><name>two</name><powerA_id>1</powerA_id>'
                    "<powerB_id>2</powerB_id></Server>",
                ),
            )
        ]
    )
    assert rel(reading) == {("Server::3", "depends_on", "PDU::1")}
    assert any(n.kind == "not_carried" and "Server 4" in n.where for n in reading.estate.notes)


def test_network_links_keep_parallel_ports_and_follow_the_connection_type():
    link = (
        '<lnkConnectableCIToNetworkDevice id="{i}"><networkdevice_id>1</networkdevice_id>'
        "<connectableci_id>2</connectableci_id><network_port>{p}</network_port>"
        "<device_port>eth0</device_port><connection_type>{t}</connection_type>"
        "</lnkConnectableCIToNetworkDevice>"
    )
    reading = read(
        [
            Source(
                "a.xml",
                xml(
                    '<NetworkDevice id="1"><name>sw</name></NetworkDevice>',
                    '<Server id="2"><name>srv</name></Server>',
                    link.format(i=10, p="g1", t="uplink"),
                    link.format(i=11, p="g2", t="uplink"),
                    link.format(i=12, p="g3", t="downlink"),
                ),
            )
        ]
    )
    ends = Counter((r.source, r.type, r.target) for r in reading.estate.relations)
    assert ends[("Server::2", "connected_to", "NetworkDevice::1")] == 2
    assert ends[("NetworkDevice::1", "connected_to", "Server::2")] == 1
    assert reading.outcomes["relation"] == 3


def test_conflicting_duplicates_keep_the_first_and_say_which_columns_differ():
    reading = read(
        [
            Source(
                "a/1.xml", xml('<Server id="3"><name>a</name><status>production</status></Server>')
            ),
            Source(
                "b/2.xml", xml('<Server id="3"><name>a</name><status>obsolete</status></Server>')
            ),
        ]
    )
    assert [ci.fields["status"] for ci in reading.estate.cis] == ["in_service"]
    skipped = [n for n in reading.estate.notes if n.kind == "skipped"]
    assert [n.column for n in skipped] == ["status"]
    assert reading.outcomes == Counter({"ci": 1, "skipped": 1})


def test_a_link_to_an_object_not_in_the_files_is_skipped_with_the_reason():
    reading = read(
        [
            Source(
                "a.xml",
                xml(
                    '<ApplicationSolution id="1"><name>crm</name></ApplicationSolution>',
                    '<lnkApplicationSolutionToFunctionalCI id="2"><applicationsolution_id>1'
                    "</applicationsolution_id><functionalci_id>99</functionalci_id>"
                    "</lnkApplicationSolutionToFunctionalCI>",
                ),
            )
        ]
    )
    assert reading.estate.relations == []
    assert reading.outcomes == Counter({"ci": 1, "skipped": 1})
    assert any("99" in english(n.message) for n in reading.estate.notes if n.kind == "skipped")


@pytest.mark.parametrize(
    ("value", "rule"),
    [("", (1, None)), ("disabled", (None, None)), ("2", (2, None)), ("50%", (None, 50))],
)
def test_farm_redundancy_values(value, rule):
    assert mapping.redundancy(value) == rule


@pytest.mark.parametrize("value", ["-1", "150%", "two"])
def test_unreadable_farm_redundancy(value):
    assert mapping.redundancy(value) is None


# --------------------------------------------------------------------------- CSV


SERVERS_CSV = (
    "id,Name,Organization,Status,Location,Serial number,End of warranty\n"
    "2,web-1,Demo,production,Paris,SN1,2027-01-31\n"
    "3,web-2,Demo,implementation,Paris,,31/01/2027\n"
)
VMS_CSV = "id;name;virtualhost_id->name;status\n7;vm-1;Farm A;production\n"
FARMS_CSV = 'id,name,redundancy\n5,"Farm A",50%\n'
LOCATIONS_CSV = "id,name\n1,Paris\n"


def test_a_csv_export_with_labels_or_codes_reads_like_xml():
    reading = read(
        [
            Source("export/Server.csv", SERVERS_CSV.encode()),
            Source("export/VirtualMachine.csv", VMS_CSV.encode()),
            Source("export/farms.csv", FARMS_CSV.encode()),
            Source("export/Location.csv", LOCATIONS_CSV.encode()),
        ]
    )
    assert reading.errors == []
    cis = {ci.key: ci for ci in reading.estate.cis}
    assert cis["Server::2"].fields["location"] == "Paris"
    assert cis["Server::2"].fields["serial_number"] == "SN1"
    assert cis["Server::3"].fields["status"] == "planned"
    assert cis["Farm::5"].fields["min_up_percent"] == 50
    assert rel(reading) == {("VirtualMachine::7", "runs_on", "Farm::5")}
    assert reading.estate.rows_read == sum(reading.outcomes.values()) == 5


def test_a_date_in_another_format_is_a_report_line_not_a_guess():
    reading = read([Source("Server.csv", SERVERS_CSV.encode())])
    web2 = next(ci for ci in reading.estate.cis if ci.key == "Server::3")
    assert "warranty_end" not in web2.fields
    lines = [n for n in reading.estate.notes if n.column == "end_of_warranty"]
    assert len(lines) == 1
    assert "31/01/2027" in english(lines[0].message)


@pytest.mark.parametrize(
    ("name", "text", "says"),
    [
        ("Server.csv", 'id,name\n2,"web-1\n3,web-2\n', "well-formed CSV"),
        ("Server.csv", "name,status\nweb-1,production\n", "no id column"),
        ("export.csv", "id,name\n2,web-1\n", "names no iTop class"),
        ("Server.csv", "id,name\n2,web-1,extra\n", "line 2 has 3 cells"),
        ("Server.csv", "", "empty"),
    ],
)
def test_bad_csv_files_are_errors_on_their_file(name, text, says):
    reading = read([Source(name, text.encode())])
    assert [says in english(e.message) for e in reading.errors] == [True]
    assert reading.estate.cis == []


BOMB = (
    b'<?xml version="1.0"?><!DOCTYPE Set [<!ENTITY a "aaaaaaaaaa">'
    b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>'
    b'<Set><Server id="1"><name>&c;</name></Server></Set>'
)


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (BOMB, "declares XML entities"),
        (b"<Set><Server id='1'><name>x</name></Set>", "not well-formed XML"),
        (b"<html><body/></html>", "not <Set>"),
    ],
)
def test_bad_xml_files_are_errors_and_entities_are_never_expanded(data, says):
    reading = read(
        [Source("servers.xml", data), Source("ok.xml", xml('<Rack id="1"><name>r</name></Rack>'))]
    )
    assert [says in english(e.message) for e in reading.errors] == [True]
    assert [ci.name for ci in reading.estate.cis] == ["r"]


def test_a_zip_export_is_read_and_a_truncated_one_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("itop/Server.csv", SERVERS_CSV)
        archive.writestr("itop/readme.txt", "not an export")
    data = buffer.getvalue()
    assert [s.name for s in sources_from_zip(data)] == ["itop/Server.csv"]
    with pytest.raises(Unreadable):
        sources_from_zip(data[: len(data) // 2])
