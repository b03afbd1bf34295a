"""One iTop import run, as the command and the page make it: read the files, note every
object's outcome, apply the estate through the shared sync (or only say what it would do),
and finish or fail the run. Flushes, never commits: the caller commits once."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from app.i18n import N_
from app.i18n.stored import stored
from app.imports import runs
from app.imports.estates import sync
from app.imports.itop.reader import Reading, Source, Unreadable, read, sources_from_zip
from app.imports.models import ImportRun, ProblemKind

KIND = "itop"


def sources_of(name: str, data: bytes) -> list[Source]:
    """The files of one upload or file: a zip archive's XML/CSV files, or the file itself.

    :raise Unreadable: a truncated or corrupt zip archive.
    """
    if name.lower().endswith(".zip"):
        return sources_from_zip(data, name)
    return [Source(Path(name).name, data)]


def sources_in(path: Path) -> list[Source]:
    """The export files of a directory (named by their path inside it), or one file."""
    if path.is_dir():
        return [
            Source(str(p.relative_to(path)), p.read_bytes())
            for p in sorted(path.rglob("*"))
            if p.is_file() and p.name.lower().endswith((".xml", ".csv", ".xml.gz", ".csv.gz"))
        ]
    return sources_of(path.name, path.read_bytes())


def digest(sources: Iterable[Source]) -> str:
    """The SHA-256 of an export's files (names and bytes, in name order)."""
    hashed = hashlib.sha256()
    for source in sorted(sources, key=lambda s: s.name):
        hashed.update(source.name.encode() + b"\0" + hashlib.sha256(source.data).digest())
    return hashed.hexdigest()


def import_itop(
    sources: Sequence[Source], *, source_name: str, dry_run: bool, actor: Any = None
) -> tuple[ImportRun, Reading]:
    """Read and apply an iTop export as one run; a file that cannot be read fails the run
    before anything is applied (its report lines say why)."""
    reading = read(sources)
    estate = reading.estate
    run = runs.start(
        KIND,
        source_name,
        sha256=digest(sources),
        dry_run=dry_run,
        user=actor,
        total=estate.rows_read,
    )
    runs.add_counts(run, {"files_read": len(sources), "rows_read": estate.rows_read})
    runs.add_counts(run, {f"objects_{k}": n for k, n in sorted(reading.outcomes.items())})
    if not sources:
        runs.problem(run, ProblemKind.ERROR, stored(N_("No XML or CSV file was found to import.")))
        runs.fail(run, stored(N_("The export holds no XML or CSV file. Nothing was imported.")))
        return run, reading
    if reading.errors:
        for note in reading.errors:
            runs.problem(run, ProblemKind.ERROR, note.message, where=note.where)
        runs.fail(run, _refusal(len(reading.errors)))
        return run, reading
    result = sync.apply(estate, run=run, dry_run=dry_run, actor=actor)
    if result.failed:
        runs.fail(run, result.failed)
    else:
        runs.finish(run, summary(reading, result))
    return run, reading


def refused(source_name: str, error: Unreadable, *, dry_run: bool, actor: Any = None) -> ImportRun:
    """A failed run for an upload that is not even a set of files (a truncated zip)."""
    run = runs.start(KIND, source_name, dry_run=dry_run, user=actor)
    runs.problem(run, ProblemKind.ERROR, error.text, where=source_name)
    runs.fail(run, _refusal(1))
    return run


def _refusal(files: int) -> dict[str, Any]:
    if files == 1:
        return stored(N_("The export was refused: a file could not be read. Nothing was imported."))
    return stored(
        N_("The export was refused: %(count)s files could not be read. Nothing was imported."),
        count=files,
    )


def summary(reading: Reading, result: sync.SyncResult) -> dict[str, Any]:
    """What the run page and ``flask import`` show: where each object read went, the CIs by
    class, the relations by type, and the diff's headlines."""
    estate = reading.estate
    return {
        "objects_read": estate.rows_read,
        "objects": dict(sorted(reading.outcomes.items())),
        "cis_by_class": dict(sorted(Counter(ci.ci_class for ci in estate.cis).items())),
        "relations_by_type": dict(sorted(Counter(r.type for r in estate.relations).items())),
        "itop_classes_read": dict(sorted(reading.by_class.items())),
        "changes": result.headlines or stored(N_("nothing to change")),
    }
