"""The one upload → dry run → apply flow of the estate importers' pages (NetBox, iTop).

An administrator uploads a file: it is read and dry-run at once, and the page shows what the
import would do (or why the file cannot be imported, 413/422). The file is staged for the
uploader (:mod:`app.cmdb.transfer.staging`, a day); the page's **Import** button posts only
its token, and the apply step imports the staged bytes (the CMDB compared again, so it syncs
with what is there now) and opens the run's page. An importer describes itself as a
:class:`Flow` and calls :func:`add_pages`; its template renders the page with the
``dry_run_flow`` macro of ``imports/_macros.html``, passing its own summary of a dry run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import current_app, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel.speaklater import LazyString
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import select
from wtforms import HiddenField
from wtforms.validators import DataRequired, Length, Regexp

from app.cmdb.transfer import staging
from app.extensions import db
from app.imports.models import ImportProblem, ImportRun, ProblemKind, RunState
from app.imports.views import bp, offer
from app.policy import require

RunFile = Callable[[str, bytes, bool, Any], ImportRun]
"""``run(name, data, dry_run, actor)``: the importer over one file; never raises for bad
input (a failed run says why)."""


@dataclass(frozen=True)
class Flow:
    """One importer's pages: ``/admin/imports/<name>`` (endpoints ``imports.<name>_page``
    and ``imports.<name>_apply``), listed on the index as ``label``."""

    name: str
    label: str | LazyString
    offer: str | LazyString  # one line for the imports index
    template: str
    run: RunFile
    file_label: str | LazyString
    file_required: str | LazyString
    file_description: str | LazyString


class ApplyForm(FlaskForm):
    """The Import button: the staged upload's token and the file's name."""

    token = HiddenField(validators=[DataRequired(), Regexp(r"^[0-9a-f]{32}$")])
    filename = HiddenField(validators=[Length(max=200)])


def upload_form(flow: Flow) -> type[FlaskForm]:
    """The upload form of ``flow``: one required file, with the importer's words."""

    class UploadForm(FlaskForm):
        file = FileField(
            flow.file_label,
            validators=[FileRequired(flow.file_required)],
            description=flow.file_description,
        )

    return UploadForm


def add_pages(flow: Flow) -> None:
    """Add ``flow``'s upload and apply pages to the imports blueprint, and offer it."""
    form_class = upload_form(flow)
    offer(flow.label, f"imports.{flow.name}_page", flow.offer)

    def page() -> ResponseReturnValue:
        """The upload form; a posted file gets its dry run, shown with the Import button."""
        form = form_class()
        if not form.is_submitted():
            return _render(flow, form)
        if not form.validate_on_submit():
            return _render(flow, form, status=422)
        upload = form.file.data
        name = (upload.filename or "upload").rsplit("/", 1)[-1][:200]
        limit = current_app.config["MAX_CONTENT_LENGTH"]
        try:
            data = upload.stream.read(limit + 1)
        finally:
            upload.close()  # a large upload is spooled to a temporary file: let it go now
        if len(data) > limit:
            too_big = _("The file is larger than %(size)s MB.", size=limit >> 20)
            return _render(flow, form, errors=[(name, too_big)], status=413)
        run = flow.run(name, data, True, current_user)
        if run.state is RunState.FAILED:
            db.session.commit()
            return _render(flow, form, run=run, errors=refusals(run), status=422)
        apply = ApplyForm(formdata=None)
        apply.token.data = staging.stage(data, current_user.id)
        apply.filename.data = name
        db.session.commit()
        return _render(flow, form, run=run, apply=apply)

    def apply() -> ResponseReturnValue:
        """Import the file the dry run read (the CMDB is compared again: a sync of what is
        there now). A failed run keeps the upload staged, so it can be tried again."""
        form = ApplyForm()
        if not form.validate_on_submit():
            flash(_("This import form is incomplete: upload the file again."), "danger")
            return _render(flow, form_class(formdata=None), status=422)
        data = staging.load(form.token.data, current_user.id)
        if data is None:
            flash(_("This upload has expired or was already imported: upload it again."), "warning")
            return _render(flow, form_class(formdata=None), status=404)
        name = form.filename.data or "upload"
        run = flow.run(name, data, False, current_user)
        if run.state is not RunState.FAILED:
            staging.discard(form.token.data, current_user.id)
        db.session.commit()
        if run.state is RunState.FINISHED:
            flash(_("Imported %(name)s: the run's report says what changed.", name=name), "success")
        return redirect(url_for("imports.run_detail", run_id=run.id), 303)

    rule = require("imports.admin")
    bp.add_url_rule(f"/{flow.name}", f"{flow.name}_page", rule(page), methods=["GET", "POST"])
    bp.add_url_rule(f"/{flow.name}/apply", f"{flow.name}_apply", rule(apply), methods=["POST"])


def refusals(run: ImportRun) -> list[tuple[str, Any]]:
    """Why a run failed: its ``error`` lines (where, text to word: ``stored_text``), the
    first 200."""
    problems = db.session.scalars(
        select(ImportProblem)
        .where(ImportProblem.run_id == run.id, ImportProblem.kind == ProblemKind.ERROR)
        .order_by(ImportProblem.id)
        .limit(200)
    )
    return [(p.where, p.text) for p in problems]


def _render(
    flow: Flow,
    form: FlaskForm,
    *,
    run: ImportRun | None = None,
    apply: ApplyForm | None = None,
    errors: list[tuple[str, Any]] | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    page = render_template(
        flow.template,
        flow=flow,
        form=form,
        run=run,
        apply=apply,
        errors=errors,
        counts=run.counts if run else {},
    )
    return page, status
