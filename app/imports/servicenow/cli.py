"""``flask import servicenow-incidents FILE [--dry-run]``."""

from __future__ import annotations

from pathlib import Path

import click

from app.imports.cli import echo_report, import_cli
from app.imports.models import RunState
from app.imports.servicenow.importer import BATCH, import_incidents


@import_cli.command("servicenow-incidents")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Read and check everything, save nothing.")
@click.option("--batch", default=BATCH, show_default=True, help="Incidents per committed batch.")
def servicenow_incidents(path: Path, dry_run: bool, batch: int) -> None:
    """Import ServiceNow's incident history (its audit export: a CSV, or a zip holding one).

    Running it again over the same file changes nothing; over a newer export it updates the
    incidents in place; after an interruption it resumes where it stopped. The reports and
    the search count each batch as it commits.
    """
    with path.open("rb") as stream:
        run = import_incidents(stream, path.name, dry_run=dry_run, batch_size=max(batch, 1))
    echo_report(run)
    if run.state == RunState.FAILED:
        raise SystemExit(1)
