"""``flask attachments ...``: where the stored files are, and moving them between backends."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from app.extensions import db
from app.files import moving
from app.files.models import Location

attachments_cli = AppGroup("attachments", help="The shared store of attachments and staged files.")


@attachments_cli.command("status")
def status() -> None:
    """How many stored files are in the database and in the directory."""
    counts = moving.counts()
    db.session.rollback()
    click.echo(", ".join(f"{location.value}: {n}" for location, n in counts.items()))


@attachments_cli.command("migrate")
@click.option(
    "--to",
    "target",
    required=True,
    type=click.Choice([location.value for location in Location]),
    help="Where every stored file should be.",
)
@click.option("--batch-size", default=moving.BATCH, show_default=True, type=click.IntRange(1))
def migrate(target: str, batch_size: int) -> None:
    """Move every stored file into the database or the directory (ATTACHMENTS_DIR).

    Each batch commits on its own: stop it at any time and run it again to carry on. A file is
    checked against its sha256 before and after the copy, and its source is removed only once
    the copy is safe. Set ATTACHMENT_STORE to the same place so that new files go there too.
    Exits with status 1 when some file was missing or damaged (listed; left where it was).
    """
    where = Location(target)
    report = moving.MoveReport()
    for moved in moving.batches(where, report, size=batch_size):
        db.session.commit()
        if moved:
            click.echo(f"... {report.moved} moved")
    if where is Location.DATABASE and report.ok:
        report.swept = moving.sweep_directory()
    remaining = moving.counts()
    db.session.rollback()
    click.echo(
        f"{report.moved} file(s) moved to the {where.value} "
        f"({report.bytes_moved / 1024 / 1024:.1f} MB); "
        f"{len(report.missing)} missing, {len(report.corrupt)} damaged; "
        + ", ".join(f"{location.value}: {n}" for location, n in remaining.items())
        + (f"; {report.swept} leftover file(s) removed." if report.swept else ".")
    )
    for key in report.missing:
        click.echo(f"missing: {key}", err=True)
    for key in report.corrupt:
        click.echo(f"damaged (sha256 differs): {key}", err=True)
    if not report.ok:
        sys.exit(1)
