"""``flask reports rollup``: rebuild the reporting facts and daily rollups from the tickets."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.extensions import db
from app.reports.rollups.facts import rebuild

reports_cli = AppGroup("reports", help="Reports: rebuild the pre-aggregated figures.")


@reports_cli.command("rollup")
def rollup() -> None:
    """Recompute every ticket's reporting facts and the daily rollups in one transaction
    (after a bulk import, or to check them: the result equals what the hooks maintain)."""
    count = rebuild()
    db.session.commit()
    click.echo(f"{count} ticket(s) counted; daily rollups rebuilt.")
