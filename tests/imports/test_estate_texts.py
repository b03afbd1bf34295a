"""The lines the NetBox and iTop imports and the estate sync write about a run (objects skipped
or not carried and why, notices, refusals, the dry run's diff) are kept as messages and their
parameters: a Swedish administrator reads them in Swedish on the run's page, an English one in
English, the CLI and the stored ``message`` column keep the English, and a line stored before
(plain English) is shown as it is."""

from __future__ import annotations

import json
from html import unescape

import pytest
from sqlalchemy import select

from app.imports import runs
from app.imports.estates.model import Estate, EstateCI, EstateClass
from app.imports.estates.sync import apply
from app.imports.itop.reader import Source
from app.imports.itop.service import import_itop
from app.imports.models import ImportProblem, ProblemKind
from app.imports.netbox.importer import import_netbox

OLD_LINE = "An old line, in English."

NETBOX_DUMP = json.dumps(
    [
        {"model": "dcim.site", "pk": 1, "fields": {"name": "HQ", "status": "weird"}},
        {"model": "dcim.site", "pk": 1, "fields": {"name": "Head office", "status": "active"}},
        {"model": "ipam.ipaddress", "pk": 5, "fields": {"address": "10.0.0.1/24"}},
        {"model": "dcim.cable", "pk": 9, "fields": {"label": ""}},
        {"model": "dcim.rack", "pk": 1, "fields": {"name": "R101", "site": 1}},
        {"model": "dcim.powerpanel", "pk": 1, "fields": {"name": "PP1", "site": 1}},
        *(
            {
                "model": "dcim.powerfeed",
                "pk": pk,
                "fields": {"name": name, "power_panel": 1, "rack": 1},
            }
            for pk, name in ((1, "Feed A"), (2, "Feed B"))
        ),
    ]
).encode()

ITOP_EXPORT = b"""<?xml version="1.0" encoding="UTF-8"?>
<Set>
  <Server id="1"><name>web-1</name><status>production</status><rack_id>99</rack_id></Server>
  <Organization id="2"><name>Demo</name></Organization>
</Set>"""


def page_as(signed_in, db, language: str, run_id: int) -> str:
    """The run's page as an administrator reading ``language`` sees it (a line stored before
    this change, plain English, added to the report first)."""
    db.session.add(ImportProblem(run_id=run_id, kind=ProblemKind.NOTICE, message=OLD_LINE))
    db.session.commit()
    client, user = signed_in("admin")
    user.language = language
    db.session.commit()
    page = client.get(f"/admin/imports/runs/{run_id}?per_page=100", buffered=True)
    assert page.status_code == 200
    return unescape(page.get_data(as_text=True))


def english_lines(db, run_id: int) -> list[str]:
    return list(
        db.session.scalars(select(ImportProblem.message).where(ImportProblem.run_id == run_id))
    )


NETBOX_LINES = {
    "sv": (
        "dcim.site 1 förekommer igen med andra data: den första importeras.",
        "Okänd NetBox-status ”weird”: tolkas som i drift.",
        "10.0.0.1/24: IP-adresser överförs inte",
        "Kabel 9: en av ändarna är ingen importerad enhet, krets eller matning.",
        "R101 har 2 strömkällor (Feed A, Feed B): behålls som gruppen ”R101 power”, som är uppe "
        "så länge någon av dem är det.",
        "skulle skapa 6 CI: HQ, R101, PP1, Feed A, Feed B, R101 power",
        "NetBox-dump (model, pk, fields)",
    ),
    "en": (
        "dcim.site 1 appears again with other data: the first one is imported.",
        "Unknown NetBox status “weird”: taken as in service.",
        "10.0.0.1/24: IP addresses are not carried",
        "Cable 9: one of its ends is not an imported device, circuit or power feed.",
        "R101 has 2 power sources (Feed A, Feed B): kept as the group “R101 power”, up while "
        "any one of them is.",
        "would create 6 CIs: HQ, R101, PP1, Feed A, Feed B, R101 power",
        "NetBox dump (model, pk, fields)",
    ),
}


@pytest.mark.parametrize("language", ["sv", "en"])
def test_netbox_skip_lines_read_in_the_readers_language(signed_in, db, language):
    run = import_netbox("dump.json", [("dump.json", NETBOX_DUMP)], dry_run=True)
    assert run.counts["rows_skipped"] == 1
    stored = english_lines(db, run.id)
    assert "10.0.0.1/24: IP addresses are not carried" in stored  # the English is kept
    page = page_as(signed_in, db, language, run.id)
    for line in NETBOX_LINES[language]:
        assert line in page
    assert OLD_LINE in page
    other = NETBOX_LINES["en" if language == "sv" else "sv"]
    assert not [line for line in other if line in page]


ITOP_LINES = {
    "sv": (
        "rack_id anger Rack 99, som inte finns i de lästa filerna: ingen relation.",
        "organisationer är inga CI (en organisations namn skiljer CI med samma namn åt).",
        "skulle skapa 1 CI: web-1",
    ),
    "en": (
        "The rack_id names Rack 99, which is not in the files read: no relation.",
        "organisations are not CIs (an organisation's name tells colliding CI names apart).",
        "would create 1 CIs: web-1",
    ),
}


@pytest.mark.parametrize("language", ["sv", "en"])
def test_itop_skip_lines_read_in_the_readers_language(signed_in, db, language):
    run, _ = import_itop(
        [Source("servers.xml", ITOP_EXPORT)], source_name="export.zip", dry_run=True
    )
    assert run.counts["objects_not_carried"] == 1
    assert "The rack_id names Rack 99, which is not in the files read: no relation." in (
        english_lines(db, run.id)
    )
    page = page_as(signed_in, db, language, run.id)
    for line in ITOP_LINES[language]:
        assert line in page
    assert OLD_LINE in page


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("sv", "broken.xml är inte välformad XML ("),
        ("en", "broken.xml is not well-formed XML ("),
    ],
)
def test_an_itop_file_refused_says_why_in_the_readers_language(signed_in, db, language, text):
    run, _ = import_itop(
        [Source("broken.xml", b"<Set><Server id='1'></Set>")],
        source_name="broken.xml",
        dry_run=False,
    )
    assert english_lines(db, run.id)[0].startswith("broken.xml is not well-formed XML (")
    assert text in page_as(signed_in, db, language, run.id)


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("sv", "akron-rtr01: det finns redan ett CI av klassen"),
        ("en", "akron-rtr01: a network device with this name already exists here, not imported"),
    ],
)
def test_a_ci_refused_by_the_sync_says_why_in_the_readers_language(
    signed_in, db, make_ci, language, text
):
    make_ci("AKRON-RTR01", "network_device")
    estate = Estate(
        "testbox",
        [EstateClass("router", "Router", "network_device", is_hardware=True)],
        [EstateCI("device:1", "akron-rtr01", "network_device")],
    )
    run = runs.start("testbox", "estate.json", dry_run=False)
    result = apply(estate, run=run, dry_run=False)
    assert result.cis_skipped == 1
    assert "not imported from this system" in english_lines(db, run.id)[0]
    assert text in page_as(signed_in, db, language, run.id)


def test_the_cli_report_keeps_the_english(app, db, tmp_path):
    path = tmp_path / "servers.xml"
    path.write_bytes(ITOP_EXPORT)
    result = app.test_cli_runner().invoke(args=["import", "itop", str(path), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "The rack_id names Rack 99, which is not in the files read: no relation." in (
        result.output
    )
    assert "changes: would create 1 CIs: web-1" in result.output
