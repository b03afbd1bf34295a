"""``flask import itop PATH [--dry-run]``: an iTop export (an XML or CSV file, a zip of them,
or a directory of them) applied to the CMDB as one run, its report printed."""

from __future__ import annotations

from pathlib import Path

import click

from app.extensions import db
from app.imports.cli import echo_report, import_cli
from app.imports.itop import service
from app.imports.itop.reader import Unreadable
from app.imports.models import RunState


@import_cli.command("itop")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Say what would change; change nothing.")
def itop_command(path: Path, dry_run: bool) -> None:
    """Import CIs and relations from an iTop XML or CSV export (a file, a zip, a directory).

    A second run of the same export changes nothing; a newer export creates, updates and
    retires exactly what changed in iTop."""
    try:
        sources = service.sources_in(path)
    except Unreadable as error:
        run = service.refused(path.name, error, dry_run=dry_run)
    else:
        run, _ = service.import_itop(sources, source_name=path.name, dry_run=dry_run)
    db.session.commit()
    echo_report(run)
    if run.state is RunState.FAILED:
        raise click.exceptions.Exit(1)
