"""The administrators' import pages: every run with its progress, one run's report (its
tallies, summary and report lines, downloadable), and the list of importers. Each importer's
own pages are added to this blueprint by its sub-package, which calls :func:`offer` to be
listed on the index."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from app import exports
from app.errors import NotFound
from app.extensions import db
from app.imports import permissions  # noqa: F401  (registers the rules)
from app.imports.models import ImportProblem, ImportRun, ProblemKind, RunState
from app.imports.runs import problem_counts
from app.policy import require
from app.ui import page_args

bp = Blueprint("imports", __name__, template_folder="templates")


@dataclass(frozen=True)
class Importer:
    label: str
    endpoint: str
    description: str


IMPORTERS: list[Importer] = []


def offer(label: str, endpoint: str, description: str) -> None:
    """List an importer's page on the imports index (called by each importer's views)."""
    if all(i.endpoint != endpoint for i in IMPORTERS):
        IMPORTERS.append(Importer(label, endpoint, description))


def get_run(run_id: int) -> ImportRun:
    run = db.session.get(ImportRun, run_id)
    if run is None:
        raise NotFound("There is no import run with this number.")
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
        (p.kind.label, p.where, p.column, p.message)
        for p in db.session.scalars(
            select(ImportProblem).where(ImportProblem.run_id == run.id).order_by(ImportProblem.id)
        )
    ]  # at most MAX_PROBLEMS lines are stored per run

    return exports.export_response(
        fmt, f"import-{run.id}-report", ("Kind", "Where", "Column", "Problem"), rows
    )
