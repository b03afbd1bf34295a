"""``flask import sheet``: the guessed mapping printed, ``--map`` to change it, a dry run
that writes nothing, the import and its report, exit 1 when anything is refused."""

from __future__ import annotations

from sqlalchemy import func, select

from app.auth.models import User
from app.incidents.models import Incident


def users(db) -> int:
    return db.session.scalar(select(func.count()).select_from(User))


def test_dry_run_then_import_with_a_mapping_changed_on_the_command_line(app, db, tmp_path):
    sheet = tmp_path / "people.csv"
    sheet.write_text("Login,Courriel\numa,uma@example.org\nvic,vic@example.org\n")
    runner = app.test_cli_runner()
    dry = runner.invoke(
        args=["import", "sheet", "people", str(sheet), "--dry-run", "--map", "email=courriel"]
    )
    assert dry.exit_code == 0, dry.output
    assert "  Email: Courriel" in dry.output
    assert "rows to create: 2" in dry.output
    assert users(db) == 0
    done = runner.invoke(args=["import", "sheet", "people", str(sheet), "--map", "email=Courriel"])
    assert done.exit_code == 0, done.output
    assert "rows created: 2" in done.output
    assert db.session.scalar(select(User.email).where(User.username == "uma")) == "uma@example.org"


def test_refusals_exit_1_with_the_report(app, db, tmp_path, make_user):
    make_user("clerk", roles=["agent"])
    sheet = tmp_path / "incidents.csv"
    sheet.write_text("Title,Caller\nDown,nobody\n")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["import", "sheet", "incidents", str(sheet), "--as", "clerk"])
    assert result.exit_code == 1
    assert "error line 2: [Caller] No active person has the username" in result.output
    assert db.session.scalar(select(func.count()).select_from(Incident)) == 0
    command = ["import", "sheet", "incidents", str(sheet), "--as", "clerk"]
    unknown = runner.invoke(args=[*command, "--map", "title=Nope"])
    assert unknown.exit_code == 2
    assert "The file has no column 'Nope'" in unknown.output
    assert runner.invoke(args=["import", "sheet", "incidents", str(sheet)]).exit_code == 2
