"""``flask cmdb import`` and ``flask cmdb export``: the CMDB's files from the command line.

The import checks the whole file first, prints every error (line or item, column, why) and
exits with status 1 without writing anything when there is one; otherwise it imports the file
through the services and commits once. It reports its progress on standard error every
:data:`PROGRESS_EVERY` rows. There is no size limit here (the web page has one).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import AppGroup

from app.auth.services import get_user_by_username
from app.cmdb.transfer import export as transfer_export
from app.cmdb.transfer.format import FORMATS, KINDS, describe_where
from app.cmdb.transfer.imports import import_file
from app.extensions import db

cmdb_cli = AppGroup("cmdb", help="Configuration database: import and export CIs and relations.")

PROGRESS_EVERY = 500


def _progress(phase: str, done: int, total: int) -> None:
    if done % PROGRESS_EVERY == 0 or done == total and total >= PROGRESS_EVERY:
        click.echo(f"  {phase}: {done}/{total} rows", err=True)


@cmdb_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check the file and report; write nothing.")
@click.option("--format", "file_format", type=click.Choice(FORMATS), help="Default: from FILE.")
@click.option("--kind", type=click.Choice(KINDS), help="What a CSV file holds (default: header).")
@click.option("--user", "username", help="Name this person in the CIs' history (default: none).")
def import_command(
    file: Path, dry_run: bool, file_format: str | None, kind: str | None, username: str | None
) -> None:
    """Create or update CIs and add relations from a CSV or JSON FILE: all or nothing."""
    actor = None
    if username:
        actor = get_user_by_username(username)
        if actor is None:
            raise click.ClickException(f"No person has the username {username!r}.")
    report = import_file(
        file.read_bytes(),
        filename=file.name,
        actor=actor,
        dry_run=dry_run,
        file_format=file_format,
        kind=kind,
        progress=_progress,
    )
    if report.written:
        db.session.commit()
    else:
        db.session.rollback()
    for error in report.errors:
        column = f", {error.column}" if error.column else ""
        click.echo(f"{describe_where(error.where)}{column}: {error.message}")
    if report.error_count > len(report.errors):
        click.echo(f"... and {report.error_count - len(report.errors)} more errors")
    click.echo(report.summary())
    if not report.ok:
        sys.exit(1)


@cmdb_cli.command("export")
@click.option("--kind", type=click.Choice([*KINDS, "all"]), default="cis", show_default=True)
@click.option(
    "--format", "file_format", type=click.Choice(FORMATS), default="csv", show_default=True
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Default: standard output.",
)
def export_command(kind: str, file_format: str, output: Path | None) -> None:
    """Write CIs, relations or (JSON only) both as CSV or JSON."""
    if kind == "all" and file_format != "json":
        raise click.ClickException("--kind all is written as JSON only (--format json).")
    if kind == "cis":
        chunks = transfer_export.export_cis(file_format)
    elif kind == "relations":
        chunks = transfer_export.export_relations(file_format)
    else:
        chunks = [transfer_export.export_all()]
    out = output.open("w", encoding="utf-8", newline="") if output else sys.stdout
    try:
        for chunk in chunks:
            out.write(chunk)
    finally:
        if output:
            out.close()
    db.session.rollback()
    if output:
        click.echo(f"Written to {output}.", err=True)
