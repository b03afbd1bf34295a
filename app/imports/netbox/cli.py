"""``flask import netbox FILE [--dry-run]``: a NetBox dump (``.json`` or ``.json.gz``), one
REST API answer or a JSON of several, a zip of them, or a folder of ``<endpoint>.json``
answers."""

from __future__ import annotations

from pathlib import Path

import click

from app.extensions import db
from app.imports.cli import echo_report, import_cli
from app.imports.models import RunState
from app.imports.netbox.importer import import_netbox


@import_cli.command("netbox")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Say what would change; change nothing.")
def netbox_command(path: Path, dry_run: bool) -> None:
    """Import (sync) a NetBox estate into the CMDB."""
    if path.is_dir():
        found = sorted(p for p in path.rglob("*") if p.is_file() and p.name.endswith(
            (".json", ".json.gz")
        ))  # fmt: skip
        files = [(str(p.relative_to(path)), p.read_bytes()) for p in found]
        if not files:
            raise click.ClickException(f"{path} holds no .json files.")
    else:
        files = [(path.name, path.read_bytes())]
    run = import_netbox(path.name, files, dry_run=dry_run)
    db.session.commit()
    echo_report(run)
    if run.state is RunState.FAILED:
        raise SystemExit(1)
