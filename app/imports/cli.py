"""``flask import ...``: each importer adds its command to this group (its sub-package's
``cli.py``), and ``flask import runs`` / ``flask import report RUN`` read the runs."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from app.extensions import db
from app.imports.models import ImportProblem, ImportRun
from app.imports.runs import worded

import_cli = AppGroup("import", help="Import from other tools (ServiceNow, NetBox, iTop, files).")


def echo_report(run: ImportRun, *, lines: int = 20) -> None:
    """Print a run's outcome, tallies, summary and its first report lines."""
    click.echo(f"Run {run.id} ({run.kind}, {run.source_name}): {run.state.value}")
    if run.error:
        click.echo(f"  {run.error}")  # in English, as the report lines below
    for key in sorted(run.counts or {}):
        click.echo(f"  {key.replace('_', ' ')}: {run.counts[key]}")
    for key, value in (run.summary or {}).items():
        click.echo(f"  {key.replace('_', ' ')}: {worded(value)}")
    shown = db.session.scalars(
        select(ImportProblem)
        .where(ImportProblem.run_id == run.id)
        .order_by(ImportProblem.id)
        .limit(lines)
    ).all()
    for p in shown:
        where = f"{p.where}: " if p.where else ""
        column = f"[{p.column}] " if p.column else ""
        click.echo(f"  {p.kind.label.lower()} {where}{column}{p.message}")
    noted = sum(v for k, v in (run.counts or {}).items() if k.startswith("problems_"))
    if noted > len(shown):
        click.echo(f"  ... {noted - len(shown)} more report lines: flask import report {run.id}")


@import_cli.command("runs")
@click.option("--limit", default=20, show_default=True)
def runs_command(limit: int) -> None:
    """List the latest import runs."""
    for run in db.session.scalars(select(ImportRun).order_by(ImportRun.id.desc()).limit(limit)):
        progress = f"{run.done}/{run.total}" if run.total else str(run.done)
        click.echo(f"{run.id}\t{run.kind}\t{run.state.value}\t{progress}\t{run.source_name}")


@import_cli.command("report")
@click.argument("run_id", type=int)
@click.option("--lines", default=1000, show_default=True, help="Report lines to print.")
def report_command(run_id: int, lines: int) -> None:
    """Print one run's report."""
    run = db.session.get(ImportRun, run_id)
    if run is None:
        raise click.ClickException(f"There is no import run {run_id}.")
    echo_report(run, lines=lines)
