"""Import a spreadsheet of people, groups, incidents or CIs: check, preview, dry run, import.

Every row read ends in exactly one tally of its run: created (or to create, in a dry run),
updated (to update), unchanged, refused (a report line says why, with its line and column),
or, when an import fails, not saved. An import is all or nothing: any problem in the file,
or any refusal of a service while writing, and nothing is written; the run is then failed,
with its report. A dry run checks everything and writes nothing but its run.

Flushes only; the caller commits (the run and, for an import, what it wrote).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from app.errors import DomainError, Invalid
from app.extensions import db
from app.i18n.stored import render
from app.imports import runs
from app.imports.models import ImportRun, ProblemKind
from app.imports.sheets.checking import Check, MappedRow, Plan, labels_of
from app.imports.sheets.cis import CIs
from app.imports.sheets.fields import KIND_LABELS, mapping_problems, targets
from app.imports.sheets.incidents import Incidents
from app.imports.sheets.people import Groups, People
from app.imports.sheets.reading import Problem, Sheet, Unreadable, read

PREVIEW_ROWS = 10
EXTRA_COLUMNS = {"incidents": {"priority": _l("Priority")}}  # computed, shown in the preview
OUTCOMES = ("created", "updated", "unchanged")
DRY_OUTCOMES = ("to_create", "to_update", "unchanged")


@dataclass
class Checked:
    """A sheet checked against a mapping: the plans of its valid rows and every problem."""

    kind: str
    rows_read: int
    plans: list[Plan]
    problems: list[Problem]
    refused: set[int] = field(default_factory=set)  # lines
    writer: Any = None

    @property
    def ok(self) -> bool:
        return not self.problems

    def tally(self, *, dry_run: bool, written: bool) -> dict[str, int]:
        """Rows by outcome; the outcomes add up to ``rows_read``."""
        counts = {"rows_read": self.rows_read, "rows_refused": len(self.refused)}
        if not written and not dry_run:
            counts["rows_not_saved"] = self.rows_read - len(self.refused)
            return counts
        names = DRY_OUTCOMES if dry_run else OUTCOMES
        for status, name in zip(("new", "changed", "unchanged"), names, strict=True):
            counts[f"rows_{name}"] = sum(1 for p in self.plans if p.status == status)
        return counts


@dataclass(frozen=True)
class PreviewRow:
    line: int
    status: str  # new, changed, unchanged or refused
    values: list[str]
    problems: list[str]


def mapped_rows(sheet: Sheet, mapping: Mapping[str, int | None]) -> list[MappedRow]:
    return [
        MappedRow(row.line, {k: row.cell(i) for k, i in mapping.items() if i is not None})
        for row in sheet.rows
    ]


def check(sheet: Sheet, kind: str, mapping: Mapping[str, int | None], *, filename: str) -> Checked:
    """Check every row (see the module docstring); writes nothing."""
    keys = {t.key for t in targets(kind)}
    mapping = {k: i for k, i in mapping.items() if k in keys}
    columns = {
        k: sheet.header[i]
        for k, i in mapping.items()
        if i is not None and 0 <= i < len(sheet.header)
    }
    found = Check(columns=columns, labels=labels_of(list(targets(kind))))
    found.problems.extend(
        Problem("", label, message)
        for label, message in mapping_problems(kind, mapping, sheet.header, _)
    )
    if found.problems:
        return Checked(kind, len(sheet.rows), [], found.problems, {r.line for r in sheet.rows})
    for problem in sheet.problems:
        line = int(problem.where) if problem.where.isdigit() else 0
        found.error(line, "", problem.message, column=problem.column)
    readable = [r for r in mapped_rows(sheet, mapping) if r.line not in found.bad_lines]
    writer = _writer(kind, found, filename)
    plans = writer.plan(readable)
    lines = {r.line for r in sheet.rows}
    return Checked(kind, len(sheet.rows), plans, found.problems, found.bad_lines & lines, writer)


def _writer(kind: str, found: Check, filename: str) -> Any:
    if kind == "people":
        return People(found)
    if kind == "groups":
        return Groups(found)
    if kind == "incidents":
        return Incidents(found)
    return CIs(found, filename)


def preview(
    checked: Checked, sheet: Sheet, mapping: Mapping[str, int | None]
) -> tuple[list[str], list[PreviewRow]]:
    """The preview's column labels and its first rows as they will be saved (a refused row
    shows its cells as read, and its problems)."""
    keys = [t.key for t in targets(checked.kind) if mapping.get(t.key) is not None]
    extras = EXTRA_COLUMNS.get(checked.kind, {})
    labels = [
        *(_(labels_of(list(targets(checked.kind)))[k]) for k in keys),
        *(str(label) for label in extras.values()),
    ]
    keys += list(extras)
    plans = {p.line: p for p in checked.plans}
    rows = []
    for row in mapped_rows(sheet, mapping)[:PREVIEW_ROWS]:
        plan = plans.get(row.line)
        messages = [
            _("%(column)s: %(problem)s", column=p.column, problem=render(p.message, _))
            if p.column
            else render(p.message, _)
            for p in checked.problems
            if p.where == f"line {row.line}"
        ]
        if plan is None:
            rows.append(PreviewRow(row.line, "refused", [row.get(k) for k in keys], messages))
        else:
            rows.append(
                PreviewRow(row.line, plan.status, [plan.shown.get(k, "") for k in keys], messages)
            )
    return labels, rows


def describe_mapping(kind: str, sheet: Sheet, mapping: Mapping[str, int | None]) -> dict[str, str]:
    return {
        t.label: sheet.header[mapping[t.key]]  # type: ignore[index]
        for t in targets(kind)
        if mapping.get(t.key) is not None and 0 <= mapping[t.key] < len(sheet.header)  # type: ignore[operator]
    }


def run_import(
    data: bytes,
    *,
    filename: str,
    kind: str,
    mapping: Mapping[str, int | None] | None,
    actor: Any,
    dry_run: bool,
) -> ImportRun:
    """Read, check and (unless ``dry_run`` or anything is wrong) import a sheet, recording
    the run (kind ``sheet-<kind>``) and its report; ``mapping`` ``None`` is the guess from
    the headers. Never raises for bad input: the run's report says what is wrong."""
    from app.imports.sheets.fields import guess_mapping

    targets(kind)  # KeyError: an unknown kind is a programming error
    run = runs.start(
        f"sheet-{kind}",
        filename,
        sha256=hashlib.sha256(data).hexdigest(),
        dry_run=dry_run,
        user=actor,
    )
    try:
        sheet = read(data, filename)
    except Unreadable as error:
        _report(run, error.problems)
        runs.fail(run, _("%(name)s cannot be read: nothing was imported.", name=filename))
        return run
    mapping = dict(mapping) if mapping is not None else guess_mapping(kind, sheet.header)
    run.total = len(sheet.rows)
    checked = check(sheet, kind, mapping, filename=filename)
    _report(run, checked.problems)
    written = False
    if checked.ok and not dry_run:
        written = _write(run, checked, actor)
    runs.add_counts(run, checked.tally(dry_run=dry_run, written=written))
    summary = {"kind": KIND_LABELS[kind], "mapping": describe_mapping(kind, sheet, mapping)}
    if checked.ok and (dry_run or written):
        runs.finish(run, summary)
    else:
        run.summary = summary
        runs.fail(
            run,
            _(
                "%(problems)s problem(s) in %(rows)s row(s) of %(name)s: nothing was imported.",
                problems=len(checked.problems),
                rows=len(checked.refused),
                name=filename,
            )
            if not checked.ok
            else _("A service refused a row while writing: nothing was imported."),
        )
    run.done = len(sheet.rows)
    return run


def _write(run: ImportRun, checked: Checked, actor: Any) -> bool:
    """Write every plan in one savepoint; a refusal undoes all of it (noted on the run)."""
    try:
        with db.session.begin_nested():
            writer = checked.writer
            if checked.kind == "incidents":
                writer.apply(checked.plans, actor, run)
            else:
                writer.apply(checked.plans, actor)
    except (DomainError, IntegrityError, StaleDataError) as error:
        message = (
            error.message
            if isinstance(error, DomainError)
            else _("A conflicting change was saved meanwhile.")
        )
        if isinstance(error, Invalid) and error.field_errors:
            message = "; ".join(str(v) for v in error.field_errors.values())
        runs.problem(
            run,
            ProblemKind.ERROR,
            _("%(problem)s Nothing was imported: try again.", problem=message),
        )
        return False
    return True


def _report(run: ImportRun, problems: list[Problem]) -> None:
    runs.problems(run, ((ProblemKind.ERROR, p.message, p.where, p.column) for p in problems))
