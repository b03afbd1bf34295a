"""``flask cmdb import`` and ``flask cmdb export``: exit codes, the error report, progress on a
large file, files written with -o, and imports that name their user in the history."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from app.audit import AuditEvent
from app.cmdb.models import CIRelation, ConfigurationItem
from app.i18n.stored import english

ESTATE = {
    "cis": [
        {"name": "esx-01", "class": "server", "asset_tag": "KF-1"},
        {"name": "vm-01", "class": "virtual_machine", "environment": "production"},
    ],
    "relations": [{"source": "vm-01", "type": "runs_on", "target": "esx-01"}],
}


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_import_exits_1_with_every_error_and_writes_nothing(app, db, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("name,class,criticality\nesx-01,server,9\nvm-01,vm,\nok,server,1\n")
    result = app.test_cli_runner().invoke(args=["cmdb", "import", str(bad)])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "line 2, criticality: Criticality goes from 1 (critical) to 4 (low).",
        result.output.splitlines()[1],
        "bad.csv: 2 errors in 2 rows; nothing was imported.",
    ]
    assert result.output.splitlines()[1].startswith("line 3, class: Unknown class “vm”.")
    assert count(db, ConfigurationItem) == 0


def test_an_unclosed_quote_exits_1_naming_its_line(app, db, tmp_path):
    broken = tmp_path / "broken.csv"
    broken.write_text('name,class,description\nesx-01,server,"Rack 4\nesx-02,server,Rack 5\n')
    result = app.test_cli_runner().invoke(args=["cmdb", "import", str(broken)])
    assert result.exit_code == 1
    assert result.output.startswith("line 2: A quote opened in this row is never closed")
    assert count(db, ConfigurationItem) == 0


def test_a_dry_run_then_an_import_of_cis_and_relations(app, db, tmp_path, make_user):
    make_user("ops", roles=["admin"])
    path = tmp_path / "estate.json"
    path.write_text(json.dumps(ESTATE))
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["cmdb", "import", str(path), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "estate.json is valid: 2 CIs to create" in dry.output
    assert count(db, ConfigurationItem) == 0
    done = runner.invoke(args=["cmdb", "import", str(path), "--user", "ops"])
    assert done.exit_code == 0, done.output
    assert "Imported estate.json: 2 CIs created, 0 updated, 0 unchanged; 1 relation added." in (
        done.output
    )
    db.session.expire_all()
    assert (count(db, ConfigurationItem), count(db, CIRelation)) == (2, 1)
    created = db.session.scalars(
        select(AuditEvent).where(AuditEvent.object_type == "ci", AuditEvent.action == "created")
    ).all()
    assert {e.actor.username for e in created} == {"ops"}
    assert {english(e.changes["reason"]) for e in created} == {"import of estate.json"}
    unknown = runner.invoke(args=["cmdb", "import", str(path), "--user", "nobody"])
    assert unknown.exit_code == 1
    assert "No person has the username 'nobody'" in unknown.output


def test_a_large_import_reports_its_progress(app, db, tmp_path):
    path = tmp_path / "fleet.csv"
    lines = ["name,class,environment"] + [f"lt-{n:04},laptop,production" for n in range(1200)]
    path.write_text("\n".join(lines) + "\n")
    result = app.test_cli_runner().invoke(args=["cmdb", "import", str(path), "--format", "csv"])
    assert result.exit_code == 0, result.output
    progress = [line for line in result.output.splitlines() if line.startswith("  ")]
    assert progress == [
        "  checking: 500/1200 rows",
        "  checking: 1000/1200 rows",
        "  checking: 1200/1200 rows",
        "  importing: 1200/1200 rows",
    ]
    assert result.output.splitlines()[-1] == (
        "Imported fleet.csv: 1200 CIs created, 0 updated, 0 unchanged."
    )


def test_the_kind_and_format_options_are_checked(app, db, tmp_path):
    path = tmp_path / "estate.txt"
    path.write_text(json.dumps(ESTATE))
    runner = app.test_cli_runner()
    wrong = runner.invoke(args=["cmdb", "import", str(path), "--kind", "relations"])
    assert wrong.exit_code == 1
    assert "Expected relations only, but the file has cis." in wrong.output
    as_csv = runner.invoke(args=["cmdb", "import", str(path), "--format", "csv"])
    assert as_csv.exit_code == 1
    assert "line 1" in as_csv.output
    assert runner.invoke(args=["cmdb", "import", str(tmp_path / "missing.csv")]).exit_code == 2


def test_export_writes_csv_or_json_to_a_file_or_standard_output(app, db, tmp_path, make_ci):
    make_ci("esx-01", "server", asset_tag="KF-1")
    runner = app.test_cli_runner()
    out = tmp_path / "cis.csv"
    result = runner.invoke(args=["cmdb", "export", "--kind", "cis", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text().splitlines()[1].startswith("esx-01,server,in_service,")
    everything = runner.invoke(args=["cmdb", "export", "--kind", "all", "--format", "json"])
    assert json.loads(everything.output)["cis"][0]["asset_tag"] == "KF-1"
    refused = runner.invoke(args=["cmdb", "export", "--kind", "all", "--format", "csv"])
    assert refused.exit_code == 1
    assert "JSON only" in refused.output
