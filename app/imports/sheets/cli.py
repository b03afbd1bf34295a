"""``flask import sheet KIND FILE [--dry-run] [--map FIELD=HEADER ...]``: the spreadsheet
import of the web page, for files of any size. The mapping is guessed from the headers, and
``--map`` changes it (``--map email=Courriel``; ``--map manager=`` leaves a field out)."""

from __future__ import annotations

from pathlib import Path

import click

from app.auth.services import get_user_by_username
from app.extensions import db
from app.imports.cli import echo_report, import_cli
from app.imports.models import RunState
from app.imports.sheets import service
from app.imports.sheets.fields import KIND_LABELS, guess_mapping, normalise, targets
from app.imports.sheets.reading import Unreadable, read


@import_cli.command("sheet")
@click.argument("kind", type=click.Choice(sorted(KIND_LABELS)))
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check every row and write nothing.")
@click.option("--map", "maps", multiple=True, metavar="FIELD=HEADER", help="Map a field.")
@click.option(
    "--as",
    "username",
    metavar="USERNAME",
    help="Who the audit trail names (incidents: who opened them). Required for incidents.",
)
def sheet_command(
    kind: str, path: Path, dry_run: bool, maps: tuple[str, ...], username: str | None
) -> None:
    """Import people, groups, incidents or CIs from a CSV or XLSX file, all or nothing."""
    actor = get_user_by_username(username) if username else None
    if username and actor is None:
        raise click.BadParameter(f"No person has the username {username!r}.", param_hint="--as")
    if kind == "incidents" and actor is None:
        raise click.UsageError("Say who opens the incidents: --as USERNAME.")
    data = path.read_bytes()
    mapping = None
    try:
        header = read(data, path.name).header
    except Unreadable:
        header = None  # the run reports why
    if header is not None:
        mapping = guess_mapping(kind, header)
        mapping.update(_mapping_options(kind, header, maps))
        for target in targets(kind):
            index = mapping.get(target.key)
            click.echo(f"  {target.label}: {header[index] if index is not None else '-'}")
    run = service.run_import(
        data, filename=path.name, kind=kind, mapping=mapping, actor=actor, dry_run=dry_run
    )
    db.session.commit()
    echo_report(run)
    if run.state == RunState.FAILED:
        raise SystemExit(1)


def _mapping_options(kind: str, header: list[str], maps: tuple[str, ...]) -> dict[str, int | None]:
    """``--map field=header`` options as a mapping. :raise click.BadParameter: an unknown
    field or header."""
    keys = {t.key for t in targets(kind)}
    columns = {normalise(h): i for i, h in reversed(list(enumerate(header)))}
    found: dict[str, int | None] = {}
    for option in maps:
        key, _, column = option.partition("=")
        key = key.strip()
        if key not in keys:
            raise click.BadParameter(
                f"{key!r} is not a field of {kind}: {', '.join(sorted(keys))}.", param_hint="--map"
            )
        if not column.strip():
            found[key] = None
        elif normalise(column) in columns:
            found[key] = columns[normalise(column)]
        else:
            raise click.BadParameter(
                f"The file has no column {column!r}: {', '.join(header)}.", param_hint="--map"
            )
    return found
