"""The administrators' import pages: every run with its progress, one run's report (its
tallies, summary and report lines, downloadable), and the list of importers. Each importer's
own pages are added to this blueprint by its sub-package, which calls :func:`offer` to be
listed on the index."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy import select

from app import exports
from app.errors import NotFound
from app.extensions import db
from app.i18n import formats
from app.imports import permissions  # noqa: F401  (registers the rules)
from app.imports.models import ImportProblem, ImportRun, ProblemKind, RunState
from app.imports.runs import problem_counts, where_worded, worded
from app.policy import require
from app.ui import page_args

bp = Blueprint("imports", __name__, template_folder="templates")


@dataclass(frozen=True)
class Importer:
    label: str | LazyString
    endpoint: str
    description: str | LazyString


IMPORTERS: list[Importer] = []


def offer(label: str | LazyString, endpoint: str, description: str | LazyString) -> None:
    """List an importer's page on the imports index (called by each importer's views)."""
    if all(i.endpoint != endpoint for i in IMPORTERS):
        IMPORTERS.append(Importer(label, endpoint, description))


def get_run(run_id: int) -> ImportRun:
    run = db.session.get(ImportRun, run_id)
    if run is None:
        raise NotFound(_("There is no import run with this number."))
    return run


@bp.get("/")
@require("imports.admin")
def index() -> ResponseReturnValue:
    page, per_page = page_args()
    runs = db.paginate(
        select(ImportRun).order_by(ImportRun.id.desc()),
        page=page,
        per_page=per_page,
        error_out=False,
    )
    return render_template("imports/index.html", runs=runs, importers=IMPORTERS)


def _kind_filter() -> ProblemKind | None:
    value = request.args.get("kind") or None
    try:
        return ProblemKind(value) if value else None
    except ValueError:
        return None


@bp.get("/runs/<int:run_id>")
@require("imports.admin")
def run_detail(run_id: int) -> ResponseReturnValue:
    run = get_run(run_id)
    kind = _kind_filter()
    page, per_page = page_args(50)
    query = select(ImportProblem).where(ImportProblem.run_id == run.id)
    if kind is not None:
        query = query.where(ImportProblem.kind == kind)
    lines = db.paginate(
        query.order_by(ImportProblem.id), page=page, per_page=per_page, error_out=False
    )
    return render_template(
        "imports/run.html",
        run=run,
        lines=lines,
        kind=kind,
        kinds=list(ProblemKind),
        stored=problem_counts(run),
        running=run.state == RunState.RUNNING,
    )


@bp.get("/runs/<int:run_id>/progress")
@require("imports.admin")
def run_progress(run_id: int) -> ResponseReturnValue:
    """The progress panel alone: the run page polls it while the run is working."""
    run = get_run(run_id)
    return render_template("imports/_progress.html", run=run, running=run.state == RunState.RUNNING)


@bp.get("/runs/<int:run_id>/report.<fmt>")
@require("imports.admin")
def run_report(run_id: int, fmt: str) -> ResponseReturnValue:
    """Every stored report line of a run as CSV or XLSX."""
    run = get_run(run_id)
    exports.check_format(fmt)

    rows = [
        (p.kind.label, where_worded(p.where, _, formats.number), p.column, stored_text(p.text))
        for p in db.session.scalars(
            select(ImportProblem).where(ImportProblem.run_id == run.id).order_by(ImportProblem.id)
        )
    ]  # at most MAX_PROBLEMS lines are stored per run

    return exports.export_response(
        fmt,
        f"import-{run.id}-report",
        (_("Kind"), _("Where"), _("Column"), _("Problem")),
        rows,
    )


# What a run's tallies and summary are called on its page (a key missing here is shown as it
# is written, "rows_read" as "Rows read").
TALLY_LABELS = {
    "rows_read": _l("Rows read"),
    "rows_created": _l("Rows created"),
    "rows_updated": _l("Rows updated"),
    "rows_unchanged": _l("Rows unchanged"),
    "rows_imported": _l("Rows imported"),
    "rows_skipped": _l("Rows skipped"),
    "rows_refused": _l("Rows refused"),
    "rows_not_saved": _l("Rows not saved"),
    "rows_to_create": _l("Rows to create"),
    "rows_to_update": _l("Rows to update"),
    "rows_as_ci": _l("Rows as CIs"),
    "rows_as_relation": _l("Rows as relations"),
    "rows_as_value": _l("Rows as values"),
    "rows_not_carried": _l("Rows not carried"),
    "rows_summarised": _l("Rows summarised"),
    "files_read": _l("Files read"),
    "objects_read": _l("Objects read"),
    "incidents_created": _l("Incidents created"),
    "incidents_updated": _l("Incidents updated"),
    "incidents_unchanged": _l("Incidents unchanged"),
    "incidents_skipped": _l("Incidents skipped"),
    "cis_created": _l("CIs created"),
    "cis_updated": _l("CIs updated"),
    "cis_retired": _l("CIs retired"),
    "cis_unchanged": _l("CIs unchanged"),
    "cis_skipped": _l("CIs refused"),
    "relations_created": _l("Relations created"),
    "relations_updated": _l("Relations updated"),
    "relations_removed": _l("Relations removed"),
    "relations_unchanged": _l("Relations unchanged"),
    "relations_skipped": _l("Relations refused"),
    "problems_error": _l("Report lines: errors"),
    "problems_skipped": _l("Report lines: skipped"),
    "problems_not_carried": _l("Report lines: not carried"),
    "problems_notice": _l("Report lines: notices"),
    "classes_created": _l("Classes created"),
    "people_created": _l("People created"),
    "people_matched": _l("People matched"),
    "groups_created": _l("Groups created"),
    "groups_matched": _l("Groups matched"),
    "categories_created": _l("Categories created"),
    "cis_matched": _l("CIs matched"),
    # iTop: where each object read went
    "objects": _l("Where the objects went"),
    "ci": _l("As CIs"),
    "relation": _l("As relations"),
    "folded": _l("Folded into another object"),
    "not_carried": _l("Not carried"),
    "duplicate": _l("Duplicates"),
    "skipped": _l("Skipped"),
    "objects_ci": _l("Objects as CIs"),
    "objects_relation": _l("Objects as relations"),
    "objects_folded": _l("Objects folded into another"),
    "objects_not_carried": _l("Objects not carried"),
    "objects_duplicate": _l("Duplicate objects"),
    "objects_skipped": _l("Objects skipped"),
    "cis_by_class": _l("CIs by class"),
    "relations_by_type": _l("Relations by type"),
    "itop_classes_read": _l("iTop classes read"),
    # ServiceNow: what the log says, to check against the source
    "incidents": _l("Incidents"),
    "by_priority": _l("By priority"),
    "by_final_state": _l("By final state"),
    "median_hours_open_to_resolved": _l("Median hours from opened to resolved"),
    "resolved_with_time": _l("Resolved with a time"),
    "made_sla": _l("Within SLA"),
    "made_sla_percent": _l("Within SLA, percent"),
    "log_grid": _l("Log grid"),
    "log_grid_levels": _l("Log grid levels"),
    "log_grid_reproduces": _l("Log grid reproduces"),
    "log_grid_conflicts": _l("Log grid conflicts"),
    "matrix_in_force_reproduces": _l("Matrix in force reproduces"),
    "matrix_in_force_differs": _l("Matrix in force differs"),
    "source": _l("Source"),
    "changes": _l("Changes"),
    "kind": _l("Kind"),
    "mapping": _l("Mapping"),
}


@bp.app_template_filter("tally_label")
def tally_label(key: str) -> str:
    """A run's tally or summary key as people read it."""
    label = TALLY_LABELS.get(key)
    return str(label) if label is not None else key.replace("_", " ").capitalize()


@bp.app_template_filter("import_where")
def import_where(where: str) -> str:
    """Where a report line points (``line 12``), in the reader's language."""
    return where_worded(where, _, formats.number)


@bp.app_template_filter("stored_text")
def stored_text(value: Any) -> Any:
    """A text an import stored (a report line, a run's error, a summary value) in the
    reader's language: a stored message (``app.i18n.stored``) is worded through gettext; a
    plain text (stored before) is shown as it is; figures, alone or in a message, in the
    reader's number format (``12 345``, ``97,5``)."""
    return figure(worded(value, _, figure))


def figure(value: Any) -> Any:
    """A number in the reader's format (grouping, decimal comma); anything else as it is."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return formats.number(value)
    return value
