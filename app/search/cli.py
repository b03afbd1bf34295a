"""``flask search reindex``: rebuild the index from the rows it mirrors."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.search import sources
from app.search.index import reindex

search_cli = AppGroup("search", help="The search index.")


@search_cli.command("reindex")
@click.option(
    "--source",
    "names",
    multiple=True,
    help="Only this source (ticket, ci, person, catalog_item); repeat for more.",
)
def reindex_command(names: tuple[str, ...]) -> None:
    """Rebuild the documents of every source (or of the sources named)."""
    known = [s.name for s in sources.registered()]
    unknown = sorted(set(names) - set(known))
    if unknown:
        raise click.BadParameter(
            f"unknown source {', '.join(unknown)}; known: {', '.join(known)}", param_hint="--source"
        )

    def progress(name: str, done: int) -> None:
        click.echo(f"{name}: {done} indexed", err=True)

    counts = reindex(names, progress=progress)
    for name, count in counts.items():
        click.echo(f"{name}: {count} documents")
