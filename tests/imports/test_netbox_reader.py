"""NetBox's demo dump and a REST API export through the reader (pure: no database): every
object read is accounted for, the counts match figures computed here from the raw JSON, names
are unique per class, and a source that cannot be read says why."""

from __future__ import annotations

import gzip
import io
import json
import os
import zipfile
from collections import Counter
from functools import cache
from pathlib import Path

import pytest

from app.i18n.stored import english
from app.imports.netbox import mapping, reader, source

API = Path(__file__).parent / "data" / "netbox-api"


def shared_data(relative: str) -> Path:
    """A file of ``../shared/data`` beside the repository (``DESKGRAPH_SHARED_DATA`` may name
    the folder instead)."""
    if folder := os.environ.get("DESKGRAPH_SHARED_DATA"):
        return Path(folder) / relative
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "shared" / "data" / relative
        if candidate.exists():
            return candidate
    pytest.skip(f"../shared/data/{relative} is not here")


def demo_path() -> Path:
    return shared_data("cmdb/netbox-demo-data/netbox-demo-v3.6.json.gz")


@cache
def raw_demo() -> list[dict]:
    with gzip.open(demo_path(), "rt", encoding="utf-8") as raw:
        return json.load(raw)


@cache
def demo_reading() -> reader.Reading:
    return reader.read_estate(source.read("demo.json.gz", demo_path().read_bytes()))


def api_files() -> list[tuple[str, bytes]]:
    return [(p.name, p.read_bytes()) for p in sorted(API.glob("*.json"))]


def test_every_object_of_the_demo_dump_is_accounted_for_once():
    objects = raw_demo()
    reading = demo_reading()
    assert reading.estate.rows_read == len(objects)
    assert sum(reading.outcomes.values()) == len(objects)
    by_model = Counter(o["model"] for o in objects)
    assert reading.outcomes["rows_as_ci"] == sum(by_model[m] for m in mapping.CI_MODELS)
    groups = [ci for ci in reading.estate.cis if ci.ci_class == "link_group"]
    assert len(reading.estate.cis) == reading.outcomes["rows_as_ci"] + len(groups)
    lines = Counter(n.where.split()[0] for n in reading.estate.notes if n.kind == "not_carried")
    for model in ("dcim.interface", "ipam.ipaddress", "ipam.vlan", "tenancy.tenant"):
        assert lines[model] == by_model[model]
    assert by_model["dcim.interface"] == 1586


def test_each_cable_between_devices_is_its_own_relation():
    objects = raw_demo()
    ends: dict[int, set[str]] = {}
    for o in objects:
        if o["model"] == "dcim.cabletermination":
            f = o["fields"]
            end = f"dcim.device:{f['_device']}" if f["_device"] else "other"
            ends.setdefault(f["cable"], set()).add(end)
    between_devices = {c for c, found in ends.items() if "other" not in found and len(found) == 2}
    relations = {r.key for r in demo_reading().estate.relations if r.key.startswith("dcim.cable")}
    assert {f"dcim.cable:{c}" for c in between_devices} <= relations
    pairs = Counter(frozenset(found) for c, found in ends.items() if c in between_devices)
    assert max(pairs.values()) > 1  # the demo has parallel cables: each one kept


def test_names_are_unique_per_class_and_collisions_take_their_site():
    estate = demo_reading().estate
    names = Counter((ci.ci_class, ci.name.lower()) for ci in estate.cis)
    assert max(names.values()) == 1
    assert all(ci.name for ci in estate.cis)
    sites = {o["pk"]: o["fields"]["name"] for o in raw_demo() if o["model"] == "dcim.site"}
    closets = {
        f"dcim.rack:{o['pk']}": f"{sites[o['fields']['site']]} / Comms closet"
        for o in raw_demo()
        if o["model"] == "dcim.rack" and o["fields"]["name"] == "Comms closet"
    }
    assert len(closets) > 1
    assert {ci.key: ci.name for ci in estate.cis if ci.key in closets} == closets


def test_classes_come_from_device_roles_under_the_hardware_classes():
    estate = demo_reading().estate
    classes = {c.name: c for c in estate.classes}
    assert classes["router"].parent == "network_device"
    assert classes["pdu"].is_hardware
    roles = {o["pk"]: o["fields"]["slug"] for o in raw_demo() if o["model"] == "dcim.devicerole"}
    by_key = {ci.key: ci.ci_class for ci in estate.cis}
    for o in raw_demo():
        if o["model"] == "dcim.device":
            expected = mapping.ROLES[roles[o["fields"]["role"]]].ci_class
            assert by_key[f"dcim.device:{o['pk']}"] == expected


def test_a_rest_api_export_reads_like_the_dump():
    reading = reader.read_estate(source.read_files(api_files()))
    estate = reading.estate
    results = sum(len(json.loads(data)["results"]) for _, data in api_files())
    assert estate.rows_read == results
    assert sum(reading.outcomes.values()) == results
    relations = {(r.source, r.type, r.target) for r in estate.relations}
    assert ("dcim.device:14", "connected_to", "dcim.device:1") in relations  # switch needs router
    assert ("dcim.device:1", "depends_on", "dcim.device:27") in relations  # powered by the PDU
    assert ("virtualization.virtualmachine:361", "runs_on", "virtualization.cluster:9") in (
        relations
    )
    cables = [r.key for r in estate.relations if r.key.startswith("dcim.cable")]
    assert sorted(cables) == ["dcim.cable:35", "dcim.cable:36", "dcim.cable:61"]
    router = next(ci for ci in estate.cis if ci.key == "dcim.device:1")
    assert router.fields["model"] == "Cisco ISR 1111-8P"
    assert router.ci_class == "router"
    unnamed = next(ci for ci in estate.cis if ci.key == "dcim.device:74")
    assert unnamed.name == "DM-Akron / Comms closet / 48-Port Patch Panel"
    carried_not = sorted(n.where for n in estate.notes if n.kind == "not_carried")
    assert carried_not == [
        "dcim.interface 170", "dcim.interface 3", "ipam.ipaddress 1", "tenancy.tenant 5",
    ]  # fmt: skip


def test_the_same_export_as_a_zip_or_one_json_reads_the_same():
    files = api_files()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files:
            archive.writestr(f"export/{name}", data)
    zipped = reader.read_estate(source.read("netbox.zip", buffer.getvalue())).estate
    together = {
        name.removesuffix(".json").replace("_", "/"): json.loads(data) for name, data in files
    }
    one = reader.read_estate(source.read("all.json", json.dumps(together).encode())).estate
    expected = reader.read_estate(source.read_files(files)).estate
    for estate in (zipped, one):
        assert sorted(estate.cis, key=lambda c: c.key) == sorted(expected.cis, key=lambda c: c.key)
        assert sorted(r.key for r in estate.relations) == sorted(r.key for r in expected.relations)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"{not json", "is not JSON"),
        (gzip.compress(b'[{"model": "dcim.site"}]', mtime=0)[:20], "is not a complete gzip file"),
        (b"PK\x03\x04truncated", "is not a complete zip file"),
        (b'{"results": 3}', "neither a NetBox dump"),
        (b"[]", "holds no NetBox objects"),
    ],
)
def test_a_source_that_cannot_be_read_says_why(data, expected):
    with pytest.raises(source.SourceError, match=expected):
        source.read("bad.json", data)


def test_objects_of_an_unknown_kind_are_reported_not_dropped():
    data = json.dumps(
        [
            {"model": "dcim.site", "pk": 1, "fields": {"name": "HQ", "status": "launching"}},
            {"model": "wireless.wirelesslan", "pk": 4, "fields": {"ssid": "guest"}},
        ]
    ).encode()
    reading = reader.read_estate(source.read("x.json", data))
    assert reading.outcomes["rows_as_ci"] == 1
    assert reading.outcomes["rows_not_carried"] == 1
    notes = {(n.kind, n.where) for n in reading.estate.notes}
    assert ("not_carried", "wireless.wirelesslan 4") in notes
    assert ("notice", "dcim.site 1") in notes  # the unknown status, taken as in service


def test_an_object_repeated_with_other_data_is_skipped_and_said_so():
    data = json.dumps(
        [
            {"model": "dcim.site", "pk": 1, "fields": {"name": "HQ", "status": "active"}},
            {"model": "dcim.site", "pk": 1, "fields": {"name": "Head office", "status": "active"}},
            {"model": "dcim.site", "pk": 1, "fields": {"name": "HQ", "status": "active"}},
        ]
    ).encode()
    reading = reader.read_estate(source.read("x.json", data))
    assert [ci.name for ci in reading.estate.cis] == ["HQ"]
    assert (reading.outcomes["rows_as_ci"], reading.outcomes["rows_skipped"]) == (1, 2)
    messages = [english(n.message) for n in reading.estate.notes if n.kind == "skipped"]
    assert messages == [
        "dcim.site 1 appears again with other data: the first one is imported.",
        "dcim.site 1 appears again with the same data: the first one is imported.",
    ]


def test_a_netbox_4_circuit_termination_ties_its_circuit_to_its_site():
    api = {
        "dcim/sites": {"results": [{"id": 2, "name": "DM-Akron", "status": "active"}]},
        "circuits/providers": {"results": [{"id": 5, "name": "Level 3"}]},
        "circuits/circuits": {
            "results": [{"id": 1, "cid": "KKDG4923", "provider": {"id": 5}, "status": "active"}]
        },
        "circuits/circuit-terminations": {
            "results": [
                {
                    "id": 1,
                    "circuit": {"id": 1, "cid": "KKDG4923"},
                    "term_side": "Z",
                    "termination_type": "dcim.site",
                    "termination_id": 2,
                    "termination": {"id": 2, "name": "DM-Akron"},
                }
            ]
        },
    }
    estate = reader.read_estate(source.read("nb4.json", json.dumps(api).encode())).estate
    relations = {(r.key, r.source, r.type, r.target) for r in estate.relations}
    assert relations == {
        ("circuits.circuit:1/provider", "circuits.provider:5", "provides", "circuits.circuit:1"),
        ("circuits.circuittermination:1", "circuits.circuit:1", "depends_on", "dcim.site:2"),
    }
    assert [ci.name for ci in estate.cis if ci.ci_class == "circuit"] == ["Level 3 KKDG4923"]


def test_a_rack_fed_twice_needs_its_feeds_as_a_group_any_one_of_which_will_do():
    estate = demo_reading().estate
    cis = {ci.key: ci for ci in estate.cis}
    rack = next(key for key, ci in cis.items() if ci.ci_class == "rack" and ci.name == "R101")
    group = cis[f"group:{rack}/power"]
    assert (group.ci_class, group.name, group.fields["min_up"]) == ("link_group", "R101 power", 1)
    feeds = {
        cis[r.source].name
        for r in estate.relations
        if r.type == "member_of" and r.target == group.key
    }
    assert feeds == {"P1-1A", "P2-1B"}
    needs = {(r.type, r.target) for r in estate.relations if r.source == rack}
    assert ("depends_on", group.key) in needs
    assert not any(cis[t].ci_class == "power_feed" for _, t in needs)  # only through the group
    assert "link_group" in {c.name for c in estate.classes}


def test_parallel_cables_to_one_device_are_one_member_not_a_group():
    estate = demo_reading().estate
    names = {ci.key: ci.name for ci in estate.cis}
    switch = next(k for k, n in names.items() if n == "dmi01-akron-sw01")
    cables = [
        r for r in estate.relations if r.source == switch and r.type == "connected_to"
    ]  # its data cables (its power cable goes to the PDU)
    assert [names[r.target] for r in cables] == ["dmi01-akron-rtr01"] * 2  # two cables, kept
    assert f"group:{switch}/uplinks" not in names
