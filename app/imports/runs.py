"""Import runs and their reports, as services every importer calls.

An importer starts a run (or finds the one it was interrupted in, by the bytes it reads),
counts what it does, notes every row it skips or part it does not carry with the reason,
moves the progress bar and its checkpoint as it commits its batches, and finishes with a
summary. These functions flush, never commit: the importer commits each batch, so the page
shows the progress and a killed import resumes from the last committed checkpoint.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Mapping
from typing import IO, Any

from sqlalchemy import func, insert, select

from app.extensions import db
from app.i18n import N_
from app.i18n.stored import english, is_stored, render
from app.imports.models import ImportProblem, ImportRun, ProblemKind, RunState
from app.timeutils import utc_now

Text = str | Mapping[str, Any]  # English, or a message id and its parameters (app.i18n.stored)
MAX_PROBLEMS = 100_000  # report lines kept per run; past it one last line says how many more
CHUNK = 1 << 20


def sha256_of(stream: IO[bytes]) -> str:
    """The SHA-256 of a binary stream's bytes, read in chunks from where it stands (then
    rewound there)."""
    start = stream.tell()
    digest = hashlib.sha256()
    while chunk := stream.read(CHUNK):
        digest.update(chunk)
    stream.seek(start)
    return digest.hexdigest()


def start(
    kind: str,
    source_name: str,
    *,
    sha256: str | None = None,
    dry_run: bool = False,
    user: Any = None,
    total: int | None = None,
) -> ImportRun:
    run = ImportRun(
        kind=kind,
        source_name=source_name[:300],
        source_sha256=sha256,
        dry_run=dry_run,
        started_by_id=getattr(user, "id", None),
        total=total,
        counts={},
        summary={},
    )
    db.session.add(run)
    db.session.flush()
    return run


def interrupted(kind: str, sha256: str) -> ImportRun | None:
    """The latest run of this importer over the same bytes that stopped half way (killed, or
    the machine went down), if any: running the import again resumes it at its checkpoint."""
    return db.session.scalar(
        select(ImportRun)
        .where(
            ImportRun.kind == kind,
            ImportRun.source_sha256 == sha256,
            ImportRun.state == RunState.RUNNING,
            ImportRun.dry_run.is_(False),
        )
        .order_by(ImportRun.id.desc())
        .limit(1)
    )


def start_or_resume(
    kind: str, source_name: str, *, sha256: str, user: Any = None, total: int | None = None
) -> tuple[ImportRun, bool]:
    """An interrupted run over the same bytes (``True``: resume at its checkpoint), or a new
    run (``False``)."""
    run = interrupted(kind, sha256)
    if run is not None:
        return run, True
    return start(kind, source_name, sha256=sha256, user=user, total=total), False


def count(run: ImportRun, key: str, n: int = 1) -> None:
    """Add ``n`` to one of the run's tallies."""
    counts = dict(run.counts or {})
    counts[key] = counts.get(key, 0) + n
    run.counts = counts


def add_counts(run: ImportRun, tallies: Mapping[str, int]) -> None:
    """Add several tallies at once (a batch's)."""
    counts = dict(run.counts or {})
    for key, n in tallies.items():
        counts[key] = counts.get(key, 0) + n
    run.counts = counts


def problem(
    run: ImportRun,
    kind: ProblemKind | str,
    message: Text,
    *,
    where: str | int = "",
    column: str = "",
) -> None:
    """Note one line of the report, and count it under ``problems_<kind>``. ``message``: a
    stored message (``app.i18n.stored.stored``) is worded in each reader's language."""
    kind = ProblemKind(kind)
    noted = _noted(run)
    count(run, f"problems_{kind.value}")
    if noted >= MAX_PROBLEMS:
        return
    db.session.add(
        ImportProblem(
            run_id=run.id,
            kind=kind,
            where=str(where)[:200],
            column=column[:200],
            **_message(message),
        )
    )


def _message(message: Text) -> dict[str, Any]:
    """The columns of a report line's text: the English, and the stored message if any."""
    if not isinstance(message, str) and is_stored(message):
        return {"message": english(message)[:2000], "detail": dict(message)}
    return {"message": str(message)[:2000], "detail": None}


def problems(
    run: ImportRun, rows: Iterable[tuple[ProblemKind | str, Text, str | int, str]]
) -> None:
    """Note many lines at once: ``(kind, message, where, column)`` each, counted like
    :func:`problem` and stored with one multi-row ``INSERT`` (an importer's thousands of
    not-carried lines)."""
    noted = _noted(run)
    tallies: dict[str, int] = {}
    stored = []
    for kind, message, where, column in rows:
        kind = ProblemKind(kind)
        key = f"problems_{kind.value}"
        tallies[key] = tallies.get(key, 0) + 1
        if noted < MAX_PROBLEMS:
            stored.append(
                {
                    "run_id": run.id,
                    "kind": kind,
                    "where": str(where)[:200],
                    "column": column[:200],
                    **_message(message),
                }
            )
        noted += 1
    add_counts(run, tallies)
    if stored:
        db.session.execute(insert(ImportProblem), stored)


def worded(
    value: Any,
    gettext: Callable[[str], str] = str,
    arg: Callable[[Any], Any] = lambda value: value,
) -> Any:
    """A stored text of a run (a report line, its error, a summary value) in the words of
    ``gettext`` (English by default), its parameters shown by ``arg`` (a page shows figures
    in its reader's number format): a stored message is rendered, a list of them joined
    with semicolons; anything else (a figure, a text stored before) comes back as it is."""
    if isinstance(value, list) and value and all(is_stored(v) for v in value):
        return "; ".join(render(v, gettext, arg) for v in value)
    return render(value, gettext, arg) if is_stored(value) else value


# Where a report line points, as the importers write it (``line 12``, ``after 5,000 rows``,
# an iTop CSV object's ``Server.csv line 3: Server 5``), and how each reads in other languages.
_WHERE = (
    (re.compile(r"line (?P<line>\d+)"), N_("line %(line)s")),
    (re.compile(r"after (?P<rows>[\d,]+) rows"), N_("after %(rows)s rows")),
    (
        re.compile(r"(?P<file>.+) line (?P<line>\d+): (?P<object>.+)"),
        N_("%(file)s line %(line)s: %(object)s"),
    ),
    (re.compile(r"(?P<file>.+) line (?P<line>\d+)"), N_("%(file)s line %(line)s")),
)


def where_worded(
    where: str,
    gettext: Callable[[str], str] = str,
    number: Callable[[int], str] = str,
) -> str:
    """A report line's ``where`` in the words of ``gettext`` (numbers shown by ``number``):
    the line numbers and row counts the importers write are worded (``rad 12``, ``Server.csv
    rad 3: Server 5``), anything else (an object's id, a file name) is shown as it is."""
    for pattern, message in _WHERE:
        found = pattern.fullmatch(where)
        if found:
            parts = found.groupdict()
            if "rows" in parts:
                parts["rows"] = number(int(parts["rows"].replace(",", "")))
            return gettext(message) % parts
    return where


def _noted(run: ImportRun) -> int:
    """The report lines noted so far (stored up to ``MAX_PROBLEMS``, counted beyond)."""
    counts = run.counts or {}
    return sum(v for k, v in counts.items() if k.startswith("problems_"))


def progress(
    run: ImportRun,
    done: int,
    *,
    total: int | None = None,
    checkpoint: dict[str, Any] | None = None,
) -> None:
    """Move the progress bar (and the place to resume from, when the batch it describes is
    committed with it)."""
    run.done = done
    if total is not None:
        run.total = total
    if checkpoint is not None:
        run.checkpoint = checkpoint
    run.updated_at = utc_now()


def finish(run: ImportRun, summary: Mapping[str, Any] | None = None) -> None:
    run.state = RunState.FINISHED
    if summary is not None:
        run.summary = dict(summary)
    if run.total is not None:
        run.done = run.total
    run.checkpoint = None
    run.finished_at = run.updated_at = utc_now()


def fail(run: ImportRun, error: Text) -> None:
    """Refuse the run as a whole (a file that cannot be read, an all-or-nothing import with
    errors): its report lines say why. ``error``: as ``message`` of :func:`problem`."""
    run.state = RunState.FAILED
    if isinstance(error, str) or not is_stored(error):
        run.error, run.error_detail = str(error)[:10_000], None
    else:
        run.error, run.error_detail = english(error)[:10_000], dict(error)
    run.finished_at = run.updated_at = utc_now()


def problem_counts(run: ImportRun) -> dict[str, int]:
    """The report lines stored for a run, by kind."""
    rows = db.session.execute(
        select(ImportProblem.kind, func.count())
        .where(ImportProblem.run_id == run.id)
        .group_by(ImportProblem.kind)
    ).all()
    return {ProblemKind(kind).value: n for kind, n in rows}
