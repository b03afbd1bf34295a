"""One NetBox import run: read the source, map it, sync the CMDB (or only say what would
change), and account for every object read in the run's tallies and report.

The run's ``counts`` hold ``rows_read`` and how each object was accounted for
(``rows_as_ci``, ``rows_as_relation``, ``rows_as_value``, ``rows_not_carried``,
``rows_summarised``, ``rows_skipped``: they add up to ``rows_read``), then the sync's tallies
(``cis_created``, ``relations_removed``...). Flushes only: the caller commits, the run and its
report in every case.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from app.i18n import N_
from app.i18n.stored import stored
from app.imports import runs
from app.imports.estates import sync
from app.imports.models import ImportRun, ProblemKind
from app.imports.netbox import reader, source

KIND = "netbox"
SHAPES = {"dump": N_("NetBox dump (model, pk, fields)"), "rest": N_("NetBox REST API answers")}


def digest(files: Sequence[tuple[str, bytes]]) -> str:
    """The SHA-256 of a source's files (names and bytes, in order)."""
    h = hashlib.sha256()
    for name, data in files:
        h.update(name.encode() + b"\0" + len(data).to_bytes(8, "big"))
        h.update(data)
    return h.hexdigest()


def import_netbox(
    name: str,
    files: Sequence[tuple[str, bytes]],
    *,
    dry_run: bool,
    actor: Any = None,
) -> ImportRun:
    """Run an import of ``files`` (one dump or API file, or a folder's API answers)."""
    run = runs.start(KIND, name, sha256=digest(files), dry_run=dry_run, user=actor)
    try:
        objects = (
            source.read(files[0][0], files[0][1]) if len(files) == 1 else source.read_files(files)
        )
    except source.SourceError as error:
        runs.problem(run, ProblemKind.ERROR, error.text, where=name)
        runs.fail(run, stored(N_("The source cannot be read: %(reason)s"), reason=error.text))
        return run
    reading = reader.read_estate(objects)
    estate = reading.estate
    runs.add_counts(run, {"rows_read": estate.rows_read, **reading.outcomes})
    runs.progress(run, 0, total=estate.rows_read)
    result = sync.apply(estate, run=run, dry_run=dry_run, actor=actor)
    if result.failed:
        runs.fail(run, result.failed)
        return run
    summary: dict[str, Any] = {"source": stored(SHAPES[objects.shape])}
    summary["changes"] = result.headlines or stored(N_("nothing to change"))
    runs.finish(run, summary)
    return run
