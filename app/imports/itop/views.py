"""``/admin/imports/itop``: an administrator uploads an iTop export (an XML or CSV file, or a zip
of them), reads the dry run's diff, then imports the checked upload (kept by the CMDB's
staging, read and checked again when applied)."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import select
from wtforms import HiddenField
from wtforms.validators import DataRequired, Length, Regexp

from app.cmdb.transfer import staging
from app.extensions import db
from app.imports.itop import service
from app.imports.itop.reader import Unreadable
from app.imports.models import ImportProblem, ImportRun, ProblemKind, RunState
from app.imports.views import bp, offer
from app.policy import require

offer(
    "iTop",
    "imports.itop_page",
    "CIs and relations from iTop's XML or CSV export: servers, VMs, farms, applications, "
    "services; a second run syncs.",
)


class UploadForm(FlaskForm):
    file = FileField(
        "iTop export",
        validators=[FileRequired("Choose an XML, CSV or zip file.")],
        description="An XML or CSV export (.xml, .csv, .gz), or a zip of several.",
    )


class ApplyForm(FlaskForm):
    token = HiddenField(validators=[DataRequired(), Regexp(r"^[0-9a-f]{32}$")])
    filename = HiddenField(validators=[Length(max=200)])


@bp.route("/itop", methods=["GET", "POST"])
@require("imports.admin")
def itop_page() -> ResponseReturnValue:
    """Upload an export: its dry run (the diff and the report), and the button that imports it
    when every file could be read."""
    form = UploadForm()
    if not form.is_submitted():
        return _render(form)
    if not form.validate_on_submit():
        return _render(form, status=422)
    upload = form.file.data
    name = (upload.filename or "upload").rsplit("/", 1)[-1][:200]
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    try:
        data = upload.stream.read(limit + 1)
    finally:
        upload.close()  # a large upload is spooled to a temporary file: let it go now
    if len(data) > limit:
        return _render(form, errors=[(name, f"The file is over {limit:,} bytes.")], status=413)
    try:
        sources = service.sources_of(name, data)
    except Unreadable as error:
        run = service.refused(name, error, dry_run=True, actor=current_user)
        db.session.commit()
        return _render(form, run=run, errors=_errors(run), status=422)
    run, _ = service.import_itop(sources, source_name=name, dry_run=True, actor=current_user)
    if run.state is RunState.FAILED:
        db.session.commit()
        return _render(form, run=run, errors=_errors(run), status=422)
    apply = ApplyForm(formdata=None)
    apply.token.data = staging.stage(data, current_user.id)
    apply.filename.data = name
    db.session.commit()
    return _render(form, run=run, apply=apply)


@bp.post("/itop/apply")
@require("imports.admin")
def itop_apply() -> ResponseReturnValue:
    """Import an upload checked by :func:`itop_page` (read again; one transaction)."""
    form = ApplyForm()
    if not form.validate_on_submit():
        flash("This import form is incomplete: upload the export again.", "danger")
        return _render(UploadForm(formdata=None), status=422)
    data = staging.load(form.token.data, current_user.id)
    if data is None:
        flash("This upload has expired or was already imported: upload it again.", "warning")
        return _render(UploadForm(formdata=None), status=404)
    name = form.filename.data or "upload"
    try:
        sources = service.sources_of(name, data)
    except Unreadable as error:  # staged only once checked: not expected, still refused cleanly
        run = service.refused(name, error, dry_run=False, actor=current_user)
    else:
        run, _ = service.import_itop(sources, source_name=name, dry_run=False, actor=current_user)
    staging.discard(form.token.data, current_user.id)
    db.session.commit()
    if run.state is RunState.FINISHED:
        flash(f"Imported {name}: the run's report says what changed.", "success")
    return redirect(url_for("imports.run_detail", run_id=run.id), 303)


def _errors(run: ImportRun) -> list[tuple[str, str]]:
    problems = db.session.scalars(
        select(ImportProblem)
        .where(ImportProblem.run_id == run.id, ImportProblem.kind == ProblemKind.ERROR)
        .order_by(ImportProblem.id)
        .limit(200)
    )
    return [(p.where, p.message) for p in problems]


def _render(
    form: UploadForm,
    *,
    run: ImportRun | None = None,
    apply: ApplyForm | None = None,
    errors: list[tuple[str, str]] | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    page = render_template("imports/itop.html", form=form, run=run, apply=apply, errors=errors)
    return page, status
