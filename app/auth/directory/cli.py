"""``flask ldap sync``: bring the directory's people and groups into the desk.

The command calls ``app.auth.directory.sync.sync_directory`` and commits once at the end. When the
directory fails (unreachable, slow, misconfigured, or gone in the middle of the run) it rolls
back, prints why and exits with status 1: nothing is changed.
"""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from app.auth.directory.settings import DirectoryMisconfigured, DirectoryUnavailable
from app.extensions import db

ldap_cli = AppGroup("ldap", help="Directory (LDAP / Active Directory) integration.")

MAX_LISTED = 50


def _progress(what: str, count: int) -> None:
    click.echo(f"  read {count} {what}...", err=True)


@ldap_cli.command("sync")
@click.option("--incremental", is_flag=True, help="Only people changed since the last sync.")
@click.option("--dry-run", is_flag=True, help="Print the differences; write nothing.")
@click.option("--quiet", is_flag=True, help="Print only the summary.")
def sync_command(incremental: bool, dry_run: bool, quiet: bool) -> None:
    """Create, update and deactivate people and groups from the directory."""
    if not current_app.config.get("LDAP_URL"):
        raise click.ClickException("LDAP_URL is not set: there is no directory to sync from.")
    from app.auth.directory import sync  # here: it imports ldap3 (issue 20)

    try:
        directory = sync.directory_from_config(current_app.config)
        report = sync.sync_directory(
            directory,
            incremental=incremental,
            dry_run=dry_run,
            progress=None if quiet else _progress,
        )
    except DirectoryMisconfigured as error:
        db.session.rollback()
        raise click.ClickException(f"Directory misconfigured, nothing changed: {error}") from None
    except DirectoryUnavailable as error:
        db.session.rollback()
        raise click.ClickException(f"Directory unavailable, nothing changed: {error}") from None
    except Exception:
        db.session.rollback()
        raise
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    if dry_run or not quiet:
        for line in report.changes[:MAX_LISTED] if not dry_run else report.changes:
            click.echo(line)
        if not dry_run and len(report.changes) > MAX_LISTED:
            click.echo(f"... and {len(report.changes) - MAX_LISTED} more changes")
    for username, manager_dn in report.dangling_managers[:MAX_LISTED]:
        click.echo(f"warning: manager of {username} not found: {manager_dn}", err=True)
    if len(report.dangling_managers) > MAX_LISTED:
        click.echo(
            f"warning: {len(report.dangling_managers) - MAX_LISTED} more managers not found",
            err=True,
        )
    for loop in report.manager_loops:
        click.echo(f"warning: manager loop cut: {loop}", err=True)
    for reason in report.skipped[:MAX_LISTED]:
        click.echo(f"skipped: {reason}", err=True)
    click.echo(report.summary())
